import { type ErrorCode, FlashsaleError } from '../../domain/errors.ts';

/**
 * Status codes the Lua scripts return as the first element of their reply (`lua/includes/codes.lua`),
 * mapped here — and only here — to what the engine answers. Keep the two files in step.
 */
export const OK = 0;
export const IDEM_REPEAT = 1;
export const SWEEP_INCOMPLETE = 2;

const REFUSALS: Readonly<Record<number, readonly [ErrorCode, string?]>> = {
  [-1]: ['SALE_NOT_FOUND'],
  [-2]: ['SALE_EXISTS'],
  [-3]: ['NOT_LIVE'],
  [-4]: ['NOT_LIVE', 'The waiting room is not open yet.'],
  [-5]: ['SOLD_OUT'],
  [-6]: ['INSUFFICIENT_STOCK'],
  [-7]: ['LIMIT_EXCEEDED'],
  [-8]: ['HOLD_NOT_FOUND'],
  [-9]: ['HOLD_EXPIRED'],
  [-10]: ['HOLD_RELEASED'],
  [-11]: ['HOLD_CONFIRMED'],
};

/** A script's reply: its status code, then its payload. Throws the refusal a negative code names. */
export function checkReply(reply: unknown, script: string): { status: number; payload: unknown[] } {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') {
    throw new Error(`flashsale: unexpected reply from the ${script} script`);
  }
  const [status, ...payload] = reply as [number, ...unknown[]];
  if (status < 0) {
    const refusal = REFUSALS[status];
    if (refusal === undefined)
      throw new Error(`flashsale: unknown status ${status} from the ${script} script`);
    throw new FlashsaleError(refusal[0], refusal[1]);
  }
  return { status, payload };
}
