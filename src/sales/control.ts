/**
 * An operator steering a sale: start (now), pause, resume, end. The admin API and the CLI both call
 * these, so both load a sale the engine lost (a restarted embedded process, a Redis that lost data)
 * before acting on it.
 */
import type { SaleRecord } from '../db/records.ts';
import { FlashsaleError, isFlashsaleError } from '../domain/errors.ts';
import type { SaleView } from '../engine/types.ts';
import type { SaleDeps } from './deps.ts';
import { isCurrent, loadMissingSale } from './reload.ts';

export const SALE_ACTIONS = ['start', 'pause', 'resume', 'end'] as const;
export type SaleAction = (typeof SALE_ACTIONS)[number];

export const SALE_ACTION_SUMMARY: Record<SaleAction, string> = {
  start: 'Open the sale now (moves startsAt back to now if it is later)',
  pause: 'Pause admission and purchases; the queue keeps its order',
  resume: 'Resume a paused sale',
  end: 'End the sale now; holds in flight still finish',
};

/** The catalog record of a sale; SALE_NOT_FOUND if none. */
export async function saleRecord(deps: Pick<SaleDeps, 'store'>, saleId: string): Promise<SaleRecord> {
  const record = await deps.store.getSale(saleId);
  if (record === null) throw new FlashsaleError('SALE_NOT_FOUND');
  return record;
}

/**
 * Runs an engine call on a sale, first loading it from the catalog if the engine lost it and no
 * worker has reloaded it yet. A sale long ended is not loaded again: SALE_NOT_FOUND stands.
 */
export async function onLoadedSale<T>(deps: SaleDeps, saleId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isFlashsaleError(error, 'SALE_NOT_FOUND')) throw error;
    const record = await saleRecord(deps, saleId);
    if (!isCurrent(record, deps.clock.now())) throw error;
    await loadMissingSale(deps.engine, deps.store, record);
    return fn();
  }
}

export function controlSale(deps: SaleDeps, saleId: string, action: SaleAction): Promise<SaleView> {
  return onLoadedSale(deps, saleId, () => deps.engine[action](saleId));
}
