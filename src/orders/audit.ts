import type { OrderStore } from '../db/orderStore.ts';
import type { SaleEngine } from '../engine/types.ts';

export interface AuditCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface AuditReport {
  saleId: string;
  ok: boolean;
  checks: AuditCheck[];
}

/**
 * Compares the engine's counters with the durable record, and the captured charges (the payment
 * ledger) with the orders. Run it once the order queue has drained:
 * while jobs are in flight, a hold can be confirmed in the engine a moment before its order is
 * confirmed in PostgreSQL.
 */
export async function auditSale(engine: SaleEngine, store: OrderStore, saleId: string): Promise<AuditReport> {
  const [stats, dbSale, soldInDb, confirmedUnits, duplicates, refusals, charges] = await Promise.all([
    engine.stats(saleId),
    store.getSale(saleId),
    store.soldUnits(saleId),
    store.confirmedUnits(saleId),
    store.duplicateHolds(saleId),
    store.oversellRefusals(saleId),
    store.charges.audit(saleId),
  ]);
  const check = (name: string, ok: boolean, detail: string): AuditCheck => ({ name, ok, detail });
  const checks = [
    check(
      'engine: total = available + held + sold',
      stats.total === stats.available + stats.held + stats.sold,
      `${stats.total} = ${stats.available} + ${stats.held} + ${stats.sold}`,
    ),
    check('database knows the sale', dbSale !== null, dbSale ? `total ${dbSale.totalStock}` : 'missing'),
    check(
      'engine total = database total',
      dbSale !== null && dbSale.totalStock === stats.total,
      `${stats.total} vs ${dbSale?.totalStock}`,
    ),
    check('sold <= total', soldInDb <= stats.total, `${soldInDb} <= ${stats.total}`),
    check('engine sold = database sold', stats.sold === soldInDb, `${stats.sold} vs ${soldInDb}`),
    check(
      'database sold = confirmed order units',
      soldInDb === confirmedUnits,
      `${soldInDb} vs ${confirmedUnits}`,
    ),
    check('no hold with two orders', duplicates.length === 0, duplicates.slice(0, 5).join(', ') || 'none'),
    check('no oversell refused by the database', refusals === 0, `${refusals} refusals`),
    check(
      'one captured charge per confirmed order',
      charges.captured === charges.confirmed && charges.confirmedUncharged === 0,
      `${charges.captured} captured, ${charges.confirmed} confirmed, ${charges.confirmedUncharged} confirmed without a charge`,
    ),
    check(
      'no captured charge for an order not confirmed',
      charges.chargedUnconfirmed === 0,
      `${charges.chargedUnconfirmed} charges kept`,
    ),
  ];
  return { saleId, ok: checks.every((c) => c.ok), checks };
}

export function formatAudit(report: AuditReport): string {
  const lines = report.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}  (${c.detail})`);
  return [`audit of sale ${report.saleId}: ${report.ok ? 'PASSED' : 'FAILED'}`, ...lines].join('\n');
}
