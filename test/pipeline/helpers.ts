/** Helpers shared by the pipeline tests and their child-process fixtures (no vitest imports here). */
import { randomUUID } from 'node:crypto';
import type { App } from '../../src/app.ts';
import { type ErrorCode, FlashsaleError } from '../../src/domain/errors.ts';
import type { AdmissionSettings } from '../../src/domain/sale.ts';
import { checkout } from '../../src/orders/checkout.ts';
import { publishSale } from '../../src/sales/publish.ts';

export async function drain(app: App): Promise<void> {
  await app.queues.orders.drained(120_000);
  await app.queues.notifications.drained(60_000);
  await app.queues.analytics.drained(60_000);
}

export function newSale(
  app: App,
  over: {
    totalStock: number;
    perUserLimit?: number;
    holdSeconds?: number;
    admission?: Partial<AdmissionSettings>;
  },
) {
  const now = app.clock.now();
  return publishSale(app, {
    id: `p-${randomUUID().slice(0, 8)}`,
    name: 'Test drop',
    priceCents: 5000,
    currency: 'EUR',
    perUserLimit: 1,
    startsAt: now,
    endsAt: now + 3_600_000,
    holdSeconds: 300,
    ...over,
  });
}

export function buy(app: App, saleId: string, userId: string, paymentMethod = 'pm_ok', quantity = 1) {
  return checkout(app, {
    saleId,
    userId,
    quantity,
    idempotencyKey: `key-${userId}`,
    paymentMethod,
    email: `${userId}@example.test`,
  });
}

/** Runs `count` checkouts, `parallel` at a time; returns the refusal codes seen. */
export async function crowd(count: number, parallel: number, one: (i: number) => Promise<unknown>) {
  const refusals: ErrorCode[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await one(i).catch((error: unknown) => {
        if (!(error instanceof FlashsaleError)) throw error;
        refusals.push(error.code);
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return refusals;
}
