import { randomBytes } from 'node:crypto';
import type { SaleCatalog } from '../db/records.ts';
import { FlashsaleError, isFlashsaleError } from '../domain/errors.ts';
import { defaultParts } from '../domain/parts.ts';
import { normalizePowDifficulty, normalizeSale, type SaleInput, type SaleSettings } from '../domain/sale.ts';
import type { SaleView } from '../engine/types.ts';
import type { SaleDeps } from './deps.ts';

/** `expectedBuyers`: the crowd the operator expects, which sets the default number of parts. */
export type PublishInput = (SaleCatalog | (SaleInput & Omit<SaleCatalog, keyof SaleSettings>)) & {
  expectedBuyers?: number;
};

/**
 * Publishes a sale: the catalog row first (the record), then the engine's counters. If the second
 * step fails, a worker's sync tick loads the sale into the engine from the catalog. Without
 * `prequeueAt`, the waiting room opens now (normalizeSale), and the catalog records that instant.
 * Refused with SALE_EXISTS when the id is taken, INVALID_SALE when a setting is out of range.
 */
export async function publishSale(deps: SaleDeps, input: PublishInput): Promise<SaleView> {
  const { expectedBuyers, ...sale } = input;
  const normalized = normalizeSale(sale, () => randomBytes(16).toString('hex'), deps.clock.now());
  // Without `parts`, the default comes from the crowd and the shards; it never exceeds what the
  // normalized stock, rate and slots allow, so it needs no check of its own.
  const parts =
    sale.parts ??
    defaultParts({
      expectedBuyers,
      shards: deps.shards,
      totalStock: normalized.totalStock,
      perSecond: normalized.admission.perSecond,
      maxActive: normalized.admission.maxActive,
    });
  const settings = { ...normalized, parts };
  const powDifficulty = normalizePowDifficulty(input.powDifficulty);
  const { created } = await deps.store.upsertSale({ ...sale, ...settings, powDifficulty });
  if (!created) throw new FlashsaleError('SALE_EXISTS');
  // A lookup before publishing may have cached "no such sale" in this process.
  deps.catalog.forget(settings.id);
  try {
    return await deps.engine.createSale(settings);
  } catch (error) {
    if (!isFlashsaleError(error, 'SALE_EXISTS')) throw error;
    return (await deps.engine.getSale(settings.id)) as SaleView;
  }
}
