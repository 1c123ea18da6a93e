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
