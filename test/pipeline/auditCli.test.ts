/**
 * `flashsale audit <sale>` as a real process against Redis + PostgreSQL: exit 0 when the engine, the
 * database and the captured charges agree, exit 1 (naming the failed check) when they do not.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { startWorker } from '../../src/orders/worker.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { buy, drain, newSale } from './helpers.ts';
import { redisShape } from './shapes.ts';

const ready = (await hasRedis()) && (await hasPostgres());
const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

describe.skipIf(!ready)('flashsale audit (production shape)', () => {
  const shape = redisShape();
  let app: App;
  afterAll(async () => {
    await app?.close();
    await shape.cleanup();
  });

  const audit = (saleId: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', cli, 'audit', saleId], {
      // The CLI reads its schema from the URL's search_path option, like any deployment would.
      env: {
        ...process.env,
        ...shape.env,
        DATABASE_URL: `${shape.env.DATABASE_URL}?options=-c%20search_path%3D${shape.env.TEST_PG_SCHEMA}`,
      },
      encoding: 'utf8',
    });

  it('exits 0 when the books agree and 1 on a mismatch', async () => {
    app = await shape.make();
    const stop = startWorker(app, { concurrency: 8, ticks: false });
    const sale = await newSale(app, { totalStock: 5 });
    for (let i = 0; i < 5; i++) await buy(app, sale.id, `u${i}`);
    await drain(app);
    await stop();
    const ok = audit(sale.id);
    expect(ok.stdout).toContain('PASSED');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('ok    one captured charge per confirmed order  (5 captured, 5 confirmed');

    // A charge captured for a hold that has no confirmed order: money kept for nothing.
    await app.store.charges.record('stray-hold', 5000, sale.id);
    const stray = audit(sale.id);
    expect(stray.stdout).toContain('FAIL  no captured charge for an order not confirmed  (1 charges kept)');
    expect(stray.stdout).toContain('FAIL  one captured charge per confirmed order');
    expect(stray.status).toBe(1);
    await app.store.charges.refund('stray-hold');
    expect(audit(sale.id).status).toBe(0);

    // The engine believes one more unit was sold than PostgreSQL recorded.
    const now = app.clock.now();
    const skewed = `skew-${randomUUID().slice(0, 8)}`;
    const view = await app.engine.createSale(
      { id: skewed, totalStock: 5, perUserLimit: 1, startsAt: now, endsAt: now + 60_000, holdSeconds: 60 },
      { sold: 1 },
    );
    await app.store.upsertSale({ ...view, name: 'skewed', priceCents: 1 });
    const bad = audit(skewed);
    expect(bad.stdout).toContain('FAIL  engine sold = database sold');
    expect(bad.status).toBe(1);
  });
});
