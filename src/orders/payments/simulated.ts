/**
 * The simulated payment provider, for rehearsals, the embedded shape and tests. It keeps the payment
 * port's contract (port.ts) with a durable ledger: the `payment_charges` table, through OrderStore.charges.
 */
import {
  type ChargeOutcome,
  type ChargeRequest,
  type PaymentProvider,
  TransientPaymentError,
} from './port.ts';

/** Where the simulated provider keeps its charges (the `payment_charges` table: OrderStore.charges). */
export interface ChargeLedger {
  record(idempotencyKey: string, amountCents: number, saleId: string | null): Promise<unknown>;
  get(idempotencyKey: string): Promise<{ idempotencyKey: string } | null>;
  refund(idempotencyKey: string): Promise<unknown>;
}

export const SIMULATED_PAYMENT_METHODS = ['pm_ok', 'pm_decline', 'pm_flaky'] as const;
export type SimulatedPaymentMethod = (typeof SIMULATED_PAYMENT_METHODS)[number];

const FLAKY_FAILURES = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `pm_ok` succeeds, `pm_decline` is declined, `pm_flaky` fails transiently twice per idempotency key
 * (per process) and then succeeds. Charges land in a durable ledger keyed by idempotency key, which
 * is what makes "at most one charge per hold" checkable after a crash.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  private readonly flakyAttempts = new Map<string, number>();

  constructor(
    private readonly ledger: ChargeLedger,
    private readonly options: { latencyMs: number } = { latencyMs: 0 },
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    if (this.options.latencyMs > 0) await sleep(this.options.latencyMs);
    const earlier = await this.ledger.get(request.idempotencyKey);
    if (earlier !== null) return { status: 'succeeded', chargeId: chargeIdOf(request.idempotencyKey) };
    switch (request.paymentMethod) {
      case 'pm_decline':
        return { status: 'declined', reason: 'card_declined' };
      case 'pm_flaky': {
        const seen = this.flakyAttempts.get(request.idempotencyKey) ?? 0;
        if (seen < FLAKY_FAILURES) {
          this.flakyAttempts.set(request.idempotencyKey, seen + 1);
          throw new TransientPaymentError(`simulated provider timeout (${seen + 1}/${FLAKY_FAILURES})`);
        }
        this.flakyAttempts.delete(request.idempotencyKey);
        break;
      }
      case 'pm_ok':
        break;
      default:
        return { status: 'declined', reason: 'unknown_payment_method' };
    }
    await this.ledger.record(request.idempotencyKey, request.amountCents, request.saleId);
    return { status: 'succeeded', chargeId: chargeIdOf(request.idempotencyKey) };
  }

  async refund(idempotencyKey: string): Promise<void> {
    await this.ledger.refund(idempotencyKey);
  }
}

const chargeIdOf = (idempotencyKey: string) => `ch_${idempotencyKey}`;
