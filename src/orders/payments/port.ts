/**
 * The payment port: what the order worker needs from a payment provider, and the contract every
 * provider keeps (checked by test/contract/payments.contract.ts; see README, "Adding a payment
 * provider"). The worker charges with the hold id as the idempotency key, so a job that runs again
 * after a crash or a retry never charges twice.
 *
 * The contract:
 * - `charge` is idempotent per key: charging again with a key that already succeeded makes no second
 *   charge and answers `succeeded` with the same chargeId, also when both calls race.
 * - `refund` is idempotent per key: refunding twice refunds once; refunding a key that was never
 *   charged (or was declined) does nothing and does not throw.
 * - A failure worth retrying (timeout, provider hiccup) throws `TransientPaymentError`: nothing was
 *   charged, and the worker's job retries with the same key. The worker gives up after its last
 *   attempt (the order fails with `payment_unavailable`, the hold is released).
 * - `declined` is final: no charge was made, the worker releases the hold at once and never retries.
 * - Any other throw is an unexpected failure: the job retries too, and is logged with its stack.
 */
export interface ChargeRequest {
  /** The hold id: one charge at most per key, however many times the job runs. */
  idempotencyKey: string;
  saleId: string;
  amountCents: number;
  currency: string;
  /** The buyer's payment method, as the provider knows it (a token from the provider's checkout). */
  paymentMethod: string;
}

export type ChargeOutcome =
  | { status: 'succeeded'; chargeId: string }
  | { status: 'declined'; reason: string };

/** A failure worth retrying (timeout, provider hiccup). Anything else the provider says is final. */
export class TransientPaymentError extends Error {
  override name = 'TransientPaymentError';
}

export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** Refunds the charge made with this idempotency key, if any. Idempotent. */
  refund(idempotencyKey: string): Promise<void>;
}
