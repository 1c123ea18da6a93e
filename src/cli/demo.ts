/**
 * `npm start`: the embedded shape runs a whole flash sale in one process — a demo sale, a crowd of
 * simulated buyers joining the waiting room, admission, checkout, the order pipeline — and prints the
 * audit at the end. (The HTTP service, once built, replaces the in-process crowd with real clients.)
 */
import { randomUUID } from 'node:crypto';
import { createApp, publishSale, startWorker } from '../app.ts';
import type { Config } from '../config.ts';
import { FlashsaleError } from '../domain/errors.ts';
import { auditSale, formatAudit } from '../orders/audit.ts';
import { checkout } from '../orders/checkout.ts';

const BUYERS = 2000;
const STOCK = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDemo(config: Readonly<Config>): Promise<number> {
  const app = await createApp({ ...config, logLevel: 'error' });
  const stopWorker = startWorker(app, {
    ticks: { admitEveryMs: 100, sweepEveryMs: 1000, syncEveryMs: 5000, sweepBatch: 500 },
  });
  const now = Date.now();
  const sale = await publishSale(app, {
    id: `demo-${now.toString(36)}`,
    name: 'Limited sneakers',
    description: 'The demo drop: 200 pairs for 2,000 buyers.',
    priceCents: 12_900,
    currency: 'EUR',
    totalStock: STOCK,
    perUserLimit: 2,
    prequeueAt: now,
    startsAt: now + 3000,
    endsAt: now + 10 * 60_000,
    queueing: 'shuffle',
    holdSeconds: 60,
    admission: { perSecond: 200, maxActive: 150, sessionSeconds: 30 },
  });
  console.log(`flashsale (embedded): sale "${sale.id}" — ${STOCK} units, ${BUYERS} buyers, opens in 3 s`);
  console.log(
    'The HTTP API is not built yet (issue #4); this demo drives the engine and the order pipeline directly.',
  );

  const outcomes = { bought: 0, declined: 0, soldOut: 0 };
  const buyer = async (i: number) => {
    const userId = `buyer-${i}`;
    let status = await app.engine.join(sale.id, userId);
    while (status.state === 'waiting') {
      await sleep(Math.min(status.pollAfterMs ?? 1000, 1000));
      status = await app.engine.status(sale.id, userId);
    }
    if (status.state !== 'admitted') {
      outcomes.soldOut += 1;
      return;
    }
    const paymentMethod = i % 10 === 0 ? 'pm_decline' : i % 7 === 0 ? 'pm_flaky' : 'pm_ok';
    try {
      await checkout(
        {
          engine: app.engine,
          catalog: app.catalog,
          orders: app.queues.orders,
          orderAttempts: app.orderAttempts,
        },
        { saleId: sale.id, userId, quantity: 1 + (i % 2), idempotencyKey: randomUUID(), paymentMethod },
      );
      if (paymentMethod === 'pm_decline') outcomes.declined += 1;
      else outcomes.bought += 1;
    } catch (error) {
      if (!(error instanceof FlashsaleError)) throw error;
      outcomes.soldOut += 1;
    }
  };

  const progress = setInterval(async () => {
    const s = await app.engine.stats(sale.id);
    console.log(
      `  waiting ${s.waiting}  active ${s.active}  available ${s.available}  held ${s.held}  sold ${s.sold}`,
    );
  }, 1000);
  await Promise.all(Array.from({ length: BUYERS }, (_, i) => buyer(i)));
  await app.queues.orders.drained(60_000);
  clearInterval(progress);

  const counts = await app.store.orderCounts(sale.id);
  console.log(`\nbuyers: ${JSON.stringify(outcomes)}`);
  console.log(`orders: ${JSON.stringify(counts)}`);
  const report = await auditSale(app.engine, app.store, sale.id);
  console.log(formatAudit(report));
  await stopWorker();
  await app.close();
  return report.ok ? 0 : 1;
}
