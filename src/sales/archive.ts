/**
 * Archiving a sale: it leaves the storefront (home page and sale page) and stays in the console and
 * the database with its orders. A sale still running is ended first, so nobody can buy from a sale
 * they can no longer see; holds in flight still finish, as with `end`.
 */
import type { SaleRecord } from '../db/records.ts';
import { FlashsaleError, isFlashsaleError } from '../domain/errors.ts';
import type { SaleDeps } from './deps.ts';

export async function archiveSale(deps: SaleDeps, saleId: string): Promise<SaleRecord> {
  const record = await deps.store.getSale(saleId);
  if (record === null) throw new FlashsaleError('SALE_NOT_FOUND');
  if (record.archivedAt === undefined) {
    // A sale the engine no longer holds (long ended, or never loaded) has nothing left to end.
    await deps.engine.end(saleId).catch((error: unknown) => {
      if (!isFlashsaleError(error, 'SALE_NOT_FOUND')) throw error;
    });
  }
  const archived = await deps.store.archiveSale(saleId, deps.clock.now());
  if (archived === null) throw new FlashsaleError('SALE_NOT_FOUND');
  deps.catalog.forget(saleId);
  return archived;
}

/** Listed on the storefront: not archived. */
export const isListed = (record: SaleRecord): boolean => record.archivedAt === undefined;
