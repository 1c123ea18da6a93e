/**
 * Chooses the payment provider by configuration (FLASHSALE_PAYMENT_PROVIDER). A new provider adds its
 * name to PAYMENT_PROVIDER_NAMES and a case to `createPaymentProvider`; config.ts validates the
 * variable against the names.
 */
import type { PaymentProvider } from './port.ts';
import { type ChargeLedger, SimulatedPaymentProvider } from './simulated.ts';

export const PAYMENT_PROVIDER_NAMES = ['simulated'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDER_NAMES)[number];

/** The configuration a provider may read. */
export interface PaymentSettings {
  paymentProvider: PaymentProviderName;
  /** The simulated provider's delay per charge. */
  paymentLatencyMs: number;
}

/** What a provider may need from the app. */
export interface PaymentDeps {
  /** The simulated provider's durable record of charges (OrderStore). */
  ledger: ChargeLedger;
}

export function createPaymentProvider(settings: PaymentSettings, deps: PaymentDeps): PaymentProvider {
  switch (settings.paymentProvider) {
    case 'simulated':
      return new SimulatedPaymentProvider(deps.ledger, { latencyMs: settings.paymentLatencyMs });
  }
}
