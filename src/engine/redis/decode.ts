import type { Hold, HoldStatus, ReleaseReason } from '../../domain/hold.ts';
import type { AdmissionWindow, QueueSnapshot } from '../../domain/queue.ts';
import {
  type PartOfPool,
  type SaleFlags,
  type SaleSettings,
  type StockCounts,
  saleState,
} from '../../domain/sale.ts';
import { queueSnapshot } from '../../domain/waitingRoom.ts';
import type { SaleView } from '../types.ts';

/**
 * Conversions between script replies and the engine's types. The scripts return hashes as flat
 * field/value lists (null for absent fields) and windows as "at:fromPlace:toPlace:count:freed".
 */
type Fields = Map<string, string | null>;

function fields(list: unknown): Fields {
  if (!Array.isArray(list)) throw new Error('flashsale: expected a field list from Redis');
  const out: Fields = new Map();
  for (let i = 0; i + 1 < list.length; i += 2) out.set(String(list[i]), list[i + 1] as string | null);
  return out;
}

function text(f: Fields, name: string): string {
  const value = f.get(name);
  if (value === undefined || value === null) throw new Error(`flashsale: field ${name} missing in Redis`);
  return value;
}

const int = (f: Fields, name: string): number => Number(text(f, name));
const intOrNull = (f: Fields, name: string): number | null => {
  const value = f.get(name);
  return value === undefined || value === null ? null : Number(value);
};

/** A sale as stored: settings, switches, stock and the waiting-room counters. */
export interface StoredSale {
  settings: SaleSettings;
  flags: SaleFlags;
  stock: StockCounts;
  issued: number;
  prequeueSize: number | null;
  serving: number;
  /** Tickets that left the line and that admission has not passed yet. */
  departed: number;
  /** Places admission passed over because their buyer had left. */
  passed: number;
  shuffleKeys: number[] | null;
  pool: PartOfPool | null;
}

/** The meta hash of a new sale (`sold` units already sold), as HSET field/value arguments. */
export function encodeNewSale(
  s: SaleSettings,
  keys: readonly number[] | null,
  sold: number,
  flags: SaleFlags = { paused: false, ended: false },
  pool?: { parts: number; total: number },
): string[] {
  const record: Record<string, string | number> = {
    id: s.id,
    totalStock: s.totalStock,
    perUserLimit: s.perUserLimit,
    prequeueAt: s.prequeueAt,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    queueing: s.queueing,
    shuffleSeed: s.shuffleSeed,
    shuffleKeys: keys === null ? '' : keys.join(','),
    perSecond: s.admission.perSecond,
    maxActive: s.admission.maxActive,
    sessionSeconds: s.admission.sessionSeconds,
    holdSeconds: s.holdSeconds,
    paused: flags.paused ? 1 : 0,
    ended: flags.ended ? 1 : 0,
    available: s.totalStock - sold,
    held: 0,
    sold,
    issued: 0,
    serving: 0,
    allowanceMilli: 0,
    holdSeq: 0,
    departed: 0,
    passed: 0,
    ...(pool === undefined ? {} : { pool: `${pool.parts}:${pool.total}:0` }),
  };
  return Object.entries(record).flatMap(([field, value]) => [field, String(value)]);
}

export function decodeSale(list: unknown): StoredSale {
  const f = fields(list);
  const keys = text(f, 'shuffleKeys');
  const totalStock = int(f, 'totalStock');
  // A part of a split sale: "<parts>:<the whole sale's stock>:<drained 0|1>" (lua/includes/meta.lua).
  const pool = f.get('pool');
  const [parts = 1, poolTotal, drained] = pool == null ? [] : pool.split(':').map(Number);
  return {
    settings: {
      id: text(f, 'id'),
      totalStock,
      perUserLimit: int(f, 'perUserLimit'),
      prequeueAt: int(f, 'prequeueAt'),
      startsAt: int(f, 'startsAt'),
      endsAt: int(f, 'endsAt'),
      queueing: text(f, 'queueing') as SaleSettings['queueing'],
      shuffleSeed: text(f, 'shuffleSeed'),
      admission: {
        perSecond: int(f, 'perSecond'),
        maxActive: int(f, 'maxActive'),
        sessionSeconds: int(f, 'sessionSeconds'),
      },
      holdSeconds: int(f, 'holdSeconds'),
      parts,
    },
    flags: { paused: text(f, 'paused') === '1', ended: text(f, 'ended') === '1' },
    stock: { total: totalStock, available: int(f, 'available'), held: int(f, 'held'), sold: int(f, 'sold') },
    issued: int(f, 'issued'),
    prequeueSize: intOrNull(f, 'prequeueSize'),
    serving: int(f, 'serving'),
    departed: intOrNull(f, 'departed') ?? 0,
    passed: intOrNull(f, 'passed') ?? 0,
    shuffleKeys: keys === '' ? null : keys.split(',').map(Number),
    pool: poolTotal === undefined ? null : { total: poolTotal, drained: drained === 1 },
  };
}

export function decodeWindows(list: unknown): AdmissionWindow[] {
  if (!Array.isArray(list)) throw new Error('flashsale: expected a window list from Redis');
  return list.map((entry) => {
    const [at, fromPlace, toPlace, count, freed] = String(entry).split(':').map(Number) as number[];
    return { at, fromPlace, toPlace, count, freed } as AdmissionWindow;
  });
}

export function decodeHold(saleId: string, list: unknown): Hold {
  const f = fields(list);
  return {
    id: text(f, 'id'),
    saleId,
    userId: text(f, 'userId'),
    quantity: int(f, 'quantity'),
    expiresAt: int(f, 'expiresAt'),
    status: text(f, 'status') as HoldStatus,
    releaseReason: (f.get('reason') ?? null) as ReleaseReason | null,
  };
}

const stateAt = (sale: StoredSale, now: number) =>
  saleState(sale.settings, sale.flags, sale.stock, now, sale.pool);

export function saleView(sale: StoredSale, now: number): SaleView {
  return {
    ...sale.settings,
    admission: { ...sale.settings.admission },
    state: stateAt(sale, now),
    flags: { ...sale.flags },
    stock: { ...sale.stock },
    pool: sale.pool && { ...sale.pool },
  };
}

/** The snapshot from a read reply: `windows` as the script returned them ('all' or 'status'). */
export function saleSnapshot(sale: StoredSale, windows: AdmissionWindow[], now: number): QueueSnapshot {
  return queueSnapshot(sale, stateAt(sale, now), windows, now);
}
