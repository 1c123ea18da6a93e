import { FlashsaleError } from '../domain/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN, type ReserveRequest, USER_ID_PATTERN } from '../domain/hold.ts';
import { validateQuantity } from '../domain/sale.ts';

/** Input checks shared by both adapters, done before any store is touched. */
export function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId)) {
    throw new FlashsaleError('INVALID_REQUEST', 'userId must be 1-128 characters without spaces');
  }
}

export function checkReserve(request: ReserveRequest): void {
  checkUserId(request.userId);
  validateQuantity(request.quantity);
  if (typeof request.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(request.idempotencyKey)) {
    throw new FlashsaleError('INVALID_REQUEST', 'idempotency key must be 1-128 printable ASCII characters');
  }
}

/** Units already sold when a sale is (re)loaded: a whole number from 0 to the total. */
export function checkSold(sold: number | undefined, totalStock: number): number {
  if (sold === undefined) return 0;
  if (!Number.isInteger(sold) || sold < 0 || sold > totalStock) {
    throw new FlashsaleError('INVALID_SALE', 'sold must be a whole number from 0 to totalStock', {
      field: 'sold',
    });
  }
  return sold;
}

export function checkSweepLimit(limit: unknown): asserts limit is number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new FlashsaleError('INVALID_REQUEST', 'sweep limit must be a whole number from 1 to 10000');
  }
}
