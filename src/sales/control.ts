/**
 * An operator steering a sale: start (now), pause, resume, end. The admin API and the CLI both call
 * these. Each action is written to PostgreSQL first, then applied to the engine, which is a cache of
 * the catalog: a Redis that loses its data is loaded again with the recorded switches, so an ended
 * sale stays ended and a paused one paused (see docs/architecture.md, Redis may lose everything).
 * A sale the engine lost is loaded from the catalog before acting on it.
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
    await loadMissingSale(deps.engine, deps.store, record, deps.clock.now());
    return fn();
  }
}

/** The record's change for each action; null when the sale does not exist. */
const RECORD: Record<SaleAction, (deps: SaleDeps, saleId: string) => Promise<SaleRecord | null>> = {
  start: (deps, saleId) => deps.store.startSaleNow(saleId, deps.clock.now()),
  pause: (deps, saleId) => deps.store.setSaleSwitch(saleId, 'paused', true),
  resume: (deps, saleId) => deps.store.setSaleSwitch(saleId, 'paused', false),
  end: (deps, saleId) => deps.store.setSaleSwitch(saleId, 'ended', true),
};

/**
 * Records the action, then applies it to the engine. If the engine step fails (Redis unavailable),
 * the record already holds the operator's intent: the next load of the sale applies it.
 */
export async function controlSale(deps: SaleDeps, saleId: string, action: SaleAction): Promise<SaleView> {
  const record = await RECORD[action](deps, saleId);
  if (record === null) throw new FlashsaleError('SALE_NOT_FOUND');
  deps.catalog.forget(saleId);
  return onLoadedSale(deps, saleId, () => deps.engine[action](saleId));
}

/**
 * Removes everything the engine keeps for an ended sale now, rather than at the end of its retention.
 * PostgreSQL keeps the record (orders, sold units). A sale that has not ended is refused with INVALID_REQUEST, since its buyers still depend on those keys.
 */
export async function purgeSale(deps: SaleDeps, saleId: string): Promise<number> {
  const record = await saleRecord(deps, saleId);
  const view = await deps.engine.getSale(saleId);
  const ended =
    view === null
      ? Math.min(record.endsAt, record.endedAt ?? Number.POSITIVE_INFINITY) <= deps.clock.now()
      : view.state === 'ended';
  if (!ended) throw new FlashsaleError('INVALID_REQUEST', `sale ${saleId} has not ended: end it first`);
  return deps.engine.purgeSale(saleId);
}
