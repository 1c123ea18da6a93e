/**
 * The embedded shape killed with SIGKILL mid-sale (engine, jobs and API die together; PGlite's files
 * stay): on restart, the sale is loaded with the units PostgreSQL counts as sold, every pending order
 * gets its hold back and its job again (nothing is refunded because the engine forgot it), the jobs
 * finish them, and every hold has exactly one order and at most one charge.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { auditSale } from '../../src/orders/audit.ts';
import { recover, startWorker } from '../../src/orders/worker.ts';
import { expectOneChargeAttemptPerHold } from './charges.ts';

const ORDERS = 600;

describe('embedded process killed mid-sale', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('restarts with sold units kept, pending orders resumed (never refunded), one order per hold', async () => {
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
    let stopWorker: (() => Promise<void>) | undefined;
    try {
      const before = await app.store.orderCounts(saleId);
      // What the kill left: orders written and never ended. Recovery has work to do.
      expect(before.pending, 'no order was in flight at the kill').toBeGreaterThan(0);
      const { loaded, restored, requeued } = await recover(app);
      expect(loaded).toBe(1);
      // Every pending order's hold is back in the engine, and its job is queued again.
      expect(requeued).toBe(before.pending);
      expect(restored).toBe(before.pending);
      const afterRecovery = await app.store.orderCounts(saleId);
      expect(afterRecovery.expired).toBe(0);
      expect(await app.engine.stats(saleId)).toMatchObject({
        sold: afterRecovery.confirmed,
        held: afterRecovery.pending,
      });

      stopWorker = startWorker(app, { concurrency: 8, ticks: false });
      while ((await app.store.orderCounts(saleId)).pending > 0) await delay(50);
      await stopWorker();
      stopWorker = undefined;

      const counts = await app.store.orderCounts(saleId);
      expect(counts.expired + counts.rejected).toBe(0);
      expect(counts.confirmed).toBeGreaterThanOrEqual(confirmedAtKill);
      expect(counts.confirmed).toBeLessThanOrEqual(ORDERS);
      // At most one charge per hold (one ledger attempt, under its own key); only confirmed orders keep theirs.
      const charged = await expectOneChargeAttemptPerHold(app.store, saleId);
      expect(await app.store.charges.count({ saleId, status: 'succeeded' })).toBe(counts.confirmed);
      expect(await app.store.charges.count({ saleId, status: 'refunded' })).toBe(charged - counts.confirmed);
      expect(await app.engine.stats(saleId)).toMatchObject({
        total: ORDERS,
        sold: counts.confirmed,
        held: 0,
        available: ORDERS - counts.confirmed,
      });
      const report = await auditSale(app.engine, app.store, saleId);
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(await recover(app)).toEqual({ loaded: 0, restored: 0, requeued: 0 });
    } finally {
      await stopWorker?.();
      await app.close();
    }
  });
});
