/**
 * The payment port's contract (src/orders/payments/port.ts), for every provider (keyv style): a
 * provider's test file calls `describePaymentProviderContract` with a factory. Each test charges under
 * a sale id of its own, so tests sharing one provider and one ledger never see each other's charges.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChargeRequest,
  type PaymentProvider,
  TransientPaymentError,
} from '../../src/orders/payments/port.ts';

export interface PaymentProviderFixture {
  provider: PaymentProvider;
  /** Payment methods that make the provider succeed, decline, or fail transiently and then succeed. */
  methods: { succeeds: string; declines: string; failsTransiently: string };
  /** How many times in a row `failsTransiently` fails for one key before it succeeds. */
  transientFailures: number;
  /** The provider's own record of one sale's charges: how many were made, how many are refunded. */
  ledger(saleId: string): Promise<{ charges: number; refunded: number }>;
  /** Closes whatever the factory opened. */
  close(): Promise<void>;
}

export function describePaymentProviderContract(
  name: string,
  open: () => Promise<PaymentProviderFixture>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`PaymentProvider contract: ${name}`, () => {
    let fx: PaymentProviderFixture;
    beforeAll(async () => {
      fx = await open();
    });
    afterAll(() => fx?.close());

    /** A request under a fresh sale id and key; `paymentMethod` picks the provider's behaviour. */
    const request = (method: keyof PaymentProviderFixture['methods']): ChargeRequest => ({
      idempotencyKey: randomUUID(),
      saleId: `pay-${randomUUID()}`,
      amountCents: 4999,
      currency: 'EUR',
      paymentMethod: fx.methods[method],
    });

    /** Charges until the outcome is not a transient failure; returns the outcome and the failures seen. */
    const chargeRetrying = async (req: ChargeRequest) => {
      let failures = 0;
      for (;;) {
        try {
          return { outcome: await fx.provider.charge(req), failures };
        } catch (error) {
          if (!(error instanceof TransientPaymentError) || failures >= fx.transientFailures) throw error;
          failures += 1;
        }
      }
    };

    it('charges once per key: a second charge with the key answers the same chargeId and charges nothing', async () => {
      const req = request('succeeds');
      const first = await fx.provider.charge(req);
      expect(first).toEqual({ status: 'succeeded', chargeId: expect.any(String) });
      expect(await fx.provider.charge(req)).toEqual(first);
      expect(await fx.ledger(req.saleId)).toEqual({ charges: 1, refunded: 0 });
    });

    it('charges once per key when charges with that key race', async () => {
      const req = request('succeeds');
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => fx.provider.charge({ ...req })));
      const [first] = outcomes;
      expect(first?.status).toBe('succeeded');
      for (const outcome of outcomes) expect(outcome).toEqual(first);
      expect(await fx.ledger(req.saleId)).toEqual({ charges: 1, refunded: 0 });
    });

    it('charges each key on its own: two keys, two charges, two chargeIds', async () => {
      const a = request('succeeds');
      const b = { ...request('succeeds'), saleId: a.saleId };
      const [ca, cb] = [await fx.provider.charge(a), await fx.provider.charge(b)];
      expect(ca.status === 'succeeded' && cb.status === 'succeeded').toBe(true);
      if (ca.status === 'succeeded' && cb.status === 'succeeded') expect(ca.chargeId).not.toBe(cb.chargeId);
      expect(await fx.ledger(a.saleId)).toEqual({ charges: 2, refunded: 0 });
    });

    it('refunds once per key: a second refund changes nothing', async () => {
      const req = request('succeeds');
      await fx.provider.charge(req);
      await fx.provider.refund(req.idempotencyKey);
      expect(await fx.ledger(req.saleId)).toEqual({ charges: 1, refunded: 1 });
      await fx.provider.refund(req.idempotencyKey);
      expect(await fx.ledger(req.saleId)).toEqual({ charges: 1, refunded: 1 });
    });

    it('treats the refund of a key never charged as a no-op', async () => {
      const req = request('succeeds');
      await expect(fx.provider.refund(req.idempotencyKey)).resolves.toBeUndefined();
      expect(await fx.ledger(req.saleId)).toEqual({ charges: 0, refunded: 0 });
    });

    it('throws TransientPaymentError for a transient failure, charging nothing, then succeeds on a retry with the key', async () => {
      const req = request('failsTransiently');
      await expect(fx.provider.charge(req)).rejects.toBeInstanceOf(TransientPaymentError);
      expect(await fx.ledger(req.saleId)).toEqual({ charges: 0, refunded: 0 });
      const { outcome, failures } = await chargeRetrying(req);
      expect(outcome).toEqual({ status: 'succeeded', chargeId: expect.any(String) });
      expect(failures + 1).toBe(fx.transientFailures);
      expect(await fx.ledger(req.saleId)).toEqual({ charges: 1, refunded: 0 });
    });

    it('declines for good: no charge, the same answer on a retry, and a refund is a no-op', async () => {
      const req = request('declines');
      const outcome = await fx.provider.charge(req);
      expect(outcome).toEqual({ status: 'declined', reason: expect.any(String) });
      expect(await fx.provider.charge(req)).toEqual(outcome);
      await fx.provider.refund(req.idempotencyKey);
      expect(await fx.ledger(req.saleId)).toEqual({ charges: 0, refunded: 0 });
    });
  });
}
