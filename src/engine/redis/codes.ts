import { type ErrorCode, FlashsaleError } from '../../domain/errors.ts';

/**
 * Status codes the Lua scripts return as the first element of their reply, under the names
 * `lua/includes/codes.lua` gives them, mapped here — and only here — to what the engine answers.
 * test/unit/luaCodes.test.ts fails when the two files disagree on a name or a number.
 * Negative = refusal; 0 = done; positive = done, look again.
 */
export const SCRIPT_STATUS = {
  OK: 0,
  IDEM_REPEAT: 1,
  SWEEP_INCOMPLETE: 2,
  ERR_SALE_NOT_FOUND: -1,
  ERR_SALE_EXISTS: -2,
  ERR_NOT_LIVE: -3,
  ERR_ROOM_NOT_OPEN: -4,
  ERR_SOLD_OUT: -5,
  ERR_INSUFFICIENT_STOCK: -6,
  ERR_LIMIT_EXCEEDED: -7,
  ERR_HOLD_NOT_FOUND: -8,
  ERR_HOLD_EXPIRED: -9,
  ERR_HOLD_RELEASED: -10,
  ERR_HOLD_CONFIRMED: -11,
  ERR_SESSION_ENDED: -12,
} as const;

export const { OK, IDEM_REPEAT, SWEEP_INCOMPLETE } = SCRIPT_STATUS;

type RefusalName = Extract<keyof typeof SCRIPT_STATUS, `ERR_${string}`>;

/** What each refusal means to the engine's caller: an error code, and a message when the code's own is too vague. */
export const REFUSALS: Readonly<Record<RefusalName, readonly [ErrorCode, string?]>> = {
  ERR_SALE_NOT_FOUND: ['SALE_NOT_FOUND'],
  ERR_SALE_EXISTS: ['SALE_EXISTS'],
  ERR_NOT_LIVE: ['NOT_LIVE'],
  ERR_ROOM_NOT_OPEN: ['NOT_LIVE', 'The waiting room is not open yet.'],
  ERR_SOLD_OUT: ['SOLD_OUT'],
  ERR_INSUFFICIENT_STOCK: ['INSUFFICIENT_STOCK'],
  ERR_LIMIT_EXCEEDED: ['LIMIT_EXCEEDED'],
  ERR_HOLD_NOT_FOUND: ['HOLD_NOT_FOUND'],
  ERR_HOLD_EXPIRED: ['HOLD_EXPIRED'],
  ERR_HOLD_RELEASED: ['HOLD_RELEASED'],
  ERR_HOLD_CONFIRMED: ['HOLD_CONFIRMED'],
  ERR_SESSION_ENDED: ['NOT_ADMITTED', 'Your session in the waiting room has ended; join the line again.'],
};

const REFUSAL_BY_STATUS = new Map<number, readonly [ErrorCode, string?]>(
  (Object.keys(REFUSALS) as RefusalName[]).map((name) => [SCRIPT_STATUS[name], REFUSALS[name]]),
);

/** A script's reply: its status code, then its payload. Throws the refusal a negative code names. */
export function checkReply(reply: unknown, script: string): { status: number; payload: unknown[] } {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') {
    throw new Error(`flashsale: unexpected reply from the ${script} script`);
  }
  const [status, ...payload] = reply as [number, ...unknown[]];
  if (status < 0) {
    const refusal = REFUSAL_BY_STATUS.get(status);
    if (refusal === undefined)
      throw new Error(`flashsale: unknown status ${status} from the ${script} script`);
    throw new FlashsaleError(refusal[0], refusal[1]);
  }
  return { status, payload };
}
