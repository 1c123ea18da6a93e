/**
 * The embedded shape killed with SIGKILL mid-sale (engine, jobs and API die together; PGlite's files
 * stay), while orders are pending in PGlite: on restart, the sale is loaded with the units PostgreSQL
 * counts as sold, every one of those orders — there must be some, or recovery never ran — is refunded
 * and expired, and every hold was charged at most once (one ledger attempt, under its own key).
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
import { expectOneChargeAttemptPerHold } from './charges.ts';

const ORDERS = 600;

describe('embedded process killed mid-sale', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('restarts with sold units kept, the orders in flight refunded and expired, one charge attempt per hold', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flashsale-crash-'));
    dirs.push(dataDir);
    const env = { FLASHSALE_DATA_DIR: dataDir, FLASHSALE_PAYMENT_LATENCY_MS: '10' };
    const saleId = 'crash-sale';
    const child = fork(fileURLToPath(new URL('./fixtures/embeddedProcess.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env, TEST_SALE_ID: saleId, TEST_ORDERS: String(ORDERS) },
      stdio: 'inherit',
    });
    // Killed once a quarter is sold and while the child reports orders in flight (written, not ended).
    const confirmedAtKill = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: { confirmed: number; pending: number }) => {
        if (m.confirmed >= ORDERS / 4 && m.pending > 0) {
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
      // What the kill left: orders written and never ended. Recovery has work to do.
      const inFlight = (await app.store.orderCounts(saleId)).pending;
      expect(inFlight, 'no order was in flight at the kill').toBeGreaterThan(0);
      const { loaded, settled } = await recover(app);
      expect(loaded).toBe(1);
      expect(settled).toBe(inFlight);
      const counts = await app.store.orderCounts(saleId);
      expect(counts.pending).toBe(0);
      expect(counts.failed + counts.rejected).toBe(0);
      expect(counts.expired).toBe(settled);
      expect(counts.confirmed).toBeGreaterThanOrEqual(confirmedAtKill);
      expect(counts.confirmed).toBeLessThan(ORDERS);
      // At most one charge per hold; only confirmed orders keep theirs, lost ones were refunded.
      const charged = await expectOneChargeAttemptPerHold(app.store, saleId);
      expect(charged).toBeLessThanOrEqual(counts.confirmed + counts.expired);
      expect(await app.store.chargeCount({ saleId, status: 'succeeded' })).toBe(counts.confirmed);
      expect(await app.store.chargeCount({ saleId, status: 'refunded' })).toBe(charged - counts.confirmed);
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
