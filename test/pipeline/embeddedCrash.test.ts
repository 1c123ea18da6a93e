/**
 * The embedded shape killed with SIGKILL mid-sale (engine, jobs and API die together; PGlite's files
 * stay): on restart, the sale is loaded with the units PostgreSQL counts as sold, every order whose
 * hold was lost is refunded and expired, and every hold has exactly one order and at most one charge.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { auditSale } from '../../src/orders/audit.ts';
import { recover } from '../../src/orders/worker.ts';

const ORDERS = 600;

describe('embedded process killed mid-sale', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('restarts with sold units kept, lost orders refunded, one order per hold', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flashsale-crash-'));
    dirs.push(dataDir);
    const env = { FLASHSALE_DATA_DIR: dataDir, FLASHSALE_PAYMENT_LATENCY_MS: '10' };
    const saleId = 'crash-sale';
    const child = fork(fileURLToPath(new URL('./fixtures/embeddedProcess.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env, TEST_SALE_ID: saleId, TEST_ORDERS: String(ORDERS) },
      stdio: 'inherit',
    });
    const confirmedAtKill = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: { confirmed: number }) => {
        if (m.confirmed >= ORDERS / 4) {
          child.kill('SIGKILL');
          resolve(m.confirmed);
        }
      });
      child.once('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`child exited early (${code})`));
      });
    });
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode ? resolve(null) : child.once('exit', resolve),
    );
    expect(confirmedAtKill).toBeLessThan(ORDERS);

    const app = await createApp(loadConfig(env), { log: pino({ level: 'silent' }) });
    try {
      const { loaded, settled } = await recover(app);
      expect(loaded).toBe(1);
      const counts = await app.store.orderCounts(saleId);
      expect(counts.pending).toBe(0);
      expect(counts.failed + counts.rejected).toBe(0);
      expect(counts.expired).toBe(settled);
      expect(counts.confirmed).toBeGreaterThanOrEqual(confirmedAtKill);
      expect(counts.confirmed).toBeLessThan(ORDERS);
      expect(await app.store.duplicateHolds(saleId)).toEqual([]);
      // At most one charge per hold; only confirmed orders keep theirs.
      const charges = await app.store.chargeCount({ saleId });
      expect(charges).toBeLessThanOrEqual(counts.confirmed + counts.expired);
      expect(await app.store.chargeCount({ saleId, status: 'succeeded' })).toBe(counts.confirmed);
      expect(await app.engine.stats(saleId)).toMatchObject({
        total: ORDERS,
        sold: counts.confirmed,
        held: 0,
        available: ORDERS - counts.confirmed,
      });
      const report = await auditSale(app.engine, app.store, saleId);
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(await recover(app)).toEqual({ loaded: 0, settled: 0 });
    } finally {
      await app.close();
    }
  });
});
