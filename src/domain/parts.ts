/**
 * A hot sale spread over K parts (no I/O). On a Redis Cluster every key of one sale shares a hash
 * tag, so one sale lives on one shard: its joins and reservations are capped by one Redis core. A
 * sale published with `parts: K` is stored as K sales ("parts"), each with its own hash tag:
 *
 * - a buyer always lands on the same part (a hash of their user id), so their ticket, per-user
 *   units and idempotency keys live there and the per-user limit holds exactly;
 * - each part admits at its share of the sale's rate and active slots; buyers are spread by a hash,
 *   so the parts' lines grow alike and the admission order follows the join order within a
 *   tolerance (docs/parts.md measures it);
 * - the stock starts split evenly and moves to a part that runs short (engine/parted), so the last
 *   unit still sells; "sold out" is decided on the sum of the parts' sold units, which only grows.
 *
 * Tickets and hold ids carry their part, so a poll or a confirmation goes to the right part with no
 * lookup: ticket t of part p is (t − 1)·K + p + 1 globally; a hold id ends with its part in hex.
 */

/** At most this many parts: a hold id keeps two hex digits for its part. */
export const MAX_PARTS = 64;

/** The CRC16 (XMODEM) Redis Cluster hashes keys with; a key's slot is this modulo 16384. */
function crc16(text: string): number {
  let crc = 0;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export const CLUSTER_SLOTS = 16384;

/** The cluster slot of a sale's keys: their hash tag is `{sale:<id>}` (engine/redis/keys.ts). */
export const slotOfSale = (saleId: string): number => crc16(`sale:${saleId}`) % CLUSTER_SLOTS;

/**
 * The sale id of part `part` of sale `saleId` (K parts). Part 0 is the sale itself, so a sale of one
 * part is stored exactly as before. Part i > 0 is "<id>.<i>.<n>" with the smallest n whose slot falls
 * in the i-th of K equal slot ranges after part 0's: a cluster whose masters serve equal ranges (as
 * `redis-cli --cluster create` makes them) then holds the K parts of a sale on K different masters
 * when K equals their number. The "." keeps part ids apart from the ids an operator may choose.
 */
export function partSaleId(saleId: string, part: number, parts: number): string {
  if (part === 0) return saleId;
  const width = CLUSTER_SLOTS / parts;
  const first = Math.floor(slotOfSale(saleId) / width);
  const range = (first + part) % parts;
  for (let n = 0; ; n++) {
    const id = `${saleId}.${part}.${n}`;
    if (Math.floor(slotOfSale(id) / width) === range) return id;
  }
}

/** A part's id, as partSaleId makes it (used to accept it where an operator's id is checked). */
export const PART_SALE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}\.\d{1,2}\.\d{1,6}$/;

/** The part a buyer lands on: FNV-1a of their user id, modulo K. */
export function partOfUser(userId: string, parts: number): number {
  if (parts === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % parts;
}

/** A part's ticket as the sale's: tickets of the K parts interleave, roughly in join order. */
export const saleTicket = (partTicket: number, part: number, parts: number): number =>
  (partTicket - 1) * parts + part + 1;

export function partTicket(ticket: number, parts: number): { part: number; ticket: number } {
  return { part: (ticket - 1) % parts, ticket: Math.floor((ticket - 1) / parts) + 1 };
}

/** A new hold id for a part: a random UUID whose last two hex digits name the part. */
export function holdIdForPart(randomUuid: string, part: number): string {
  return `${randomUuid.slice(0, -2)}${part.toString(16).padStart(2, '0')}`;
}

/** The part a hold id names, or null when it cannot belong to a sale of K parts. */
export function partOfHold(holdId: string, parts: number): number | null {
  const part = Number.parseInt(holdId.slice(-2), 16);
  return Number.isInteger(part) && part >= 0 && part < parts ? part : null;
}

/** `total` split into K whole shares that differ by at most one, the larger ones first. */
export function shares(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

/**
 * A buyer crowd this large is spread over the cluster's masters by default; below it one shard
 * serves a sale easily (bench/README.md: one Redis core takes thousands of joins a second).
 */
export const SPREAD_FROM_BUYERS = 10_000;

/**
 * The parts a sale gets when its operator does not choose: one per master of a Redis Cluster for an
 * expected crowd of SPREAD_FROM_BUYERS or more, else one. Never more than the stock, the rate or the
 * active slots can be split into (each part needs at least one of each).
 */
export function defaultParts(input: {
  expectedBuyers?: number | undefined;
  shards: number;
  totalStock: number;
  perSecond: number;
  maxActive: number;
}): number {
  const crowd = input.expectedBuyers ?? 0;
  if (crowd < SPREAD_FROM_BUYERS || input.shards <= 1) return 1;
  return Math.max(1, Math.min(input.shards, MAX_PARTS, input.totalStock, input.perSecond, input.maxActive));
}
