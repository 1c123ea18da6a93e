/**
 * A time limit on every payment call, whatever the provider: a provider that does not answer (a
 * partition, a stuck connection) must not hold an order job forever. A charge that ran out of time
 * may still have gone through at the provider, which is why it surfaces as a TransientPaymentError:
 * the job retries with the same idempotency key, and the provider answers with the charge it made.
 */
import {
  type ChargeOutcome,
  type ChargeRequest,
  type PaymentProvider,
  TransientPaymentError,
} from './port.ts';

async function within<T>(timeoutMs: number, what: string, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TransientPaymentError(`payment ${what} took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function withPaymentTimeout(provider: PaymentProvider, timeoutMs: number): PaymentProvider {
  return {
    charge: (request: ChargeRequest): Promise<ChargeOutcome> =>
      within(timeoutMs, 'charge', () => provider.charge(request)),
    refund: (idempotencyKey: string): Promise<void> =>
      within(timeoutMs, 'refund', () => provider.refund(idempotencyKey)),
  };
}
