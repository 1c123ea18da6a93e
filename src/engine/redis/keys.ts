/**
 * Key layout. Every key of one sale carries the hash tag `{sale:<id>}`, so a sale lives in one Redis
 * Cluster slot and every script's keys hash together. With the default prefix `fs:`:
 *
 *   fs:{sale:ID}:meta        hash   settings, switches and counters (available, held, sold, issued, serving…)
 *   fs:{sale:ID}:tickets     hash   userId → ticket (0: reserved without joining the waiting room)
 *   fs:{sale:ID}:units       hash   userId → units held or sold, against the per-user limit
 *   fs:{sale:ID}:leases      zset   admitted places still holding a slot, scored by their lease's end
 *   fs:{sale:ID}:departed    set    tickets that left the line while waiting, until admission passes them
 *   fs:{sale:ID}:spent       set    admitted places whose session ended early (left, or lapsed)
 *   fs:{sale:ID}:idem        hash   "userId\nidempotencyKey" → holdId
 *   fs:{sale:ID}:deadlines   zset   "<seq>:<holdId>" scored by expiresAt, holds still held (the sweeper's)
 *   fs:{sale:ID}:windows     hash   admission windows, an array in a hash (see lua/includes/windows.lua)
 *   fs:{sale:ID}:moves       hash   moveId → "<to sale id> <units>": units moving out of this part (lua/moveOut.lua)
 *   fs:{sale:ID}:movedIn     set    move ids whose units this part received (lua/moveIn.lua)
 *   fs:{sale:ID}:hold:HOLD   hash   one hold: id, userId, quantity, expiresAt, status, reason, member
 */
export interface SaleKeys {
  meta: string;
  tickets: string;
  units: string;
  leases: string;
  departed: string;
  spent: string;
  idem: string;
  deadlines: string;
  windows: string;
  moves: string;
  movedIn: string;
  hold(holdId: string): string;
}

export const DEFAULT_PREFIX = 'fs:';

export function saleKeys(prefix: string, saleId: string): SaleKeys {
  const base = `${prefix}{sale:${saleId}}`;
  return {
    meta: `${base}:meta`,
    tickets: `${base}:tickets`,
    units: `${base}:units`,
    leases: `${base}:leases`,
    departed: `${base}:departed`,
    spent: `${base}:spent`,
    idem: `${base}:idem`,
    deadlines: `${base}:deadlines`,
    windows: `${base}:windows`,
    moves: `${base}:moves`,
    movedIn: `${base}:movedIn`,
    hold: (holdId) => `${base}:hold:${holdId}`,
  };
}

/** A deadlines member is "<16-digit sequence>:<holdId>". */
export const holdIdOfMember = (member: string): string => member.slice(member.indexOf(':') + 1);
