/** Assertions shared by the outage tests: a call that must fail, and the shape of UNAVAILABLE. */
import { expect } from 'vitest';
import { FlashsaleError, isFlashsaleError } from '../../src/domain/errors.ts';

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** UNAVAILABLE with the driver's own error (not another FlashsaleError) as its cause; returns the cause. */
export function expectUnavailable(error: unknown): Error {
  expect(error).toBeInstanceOf(FlashsaleError);
  expect((error as FlashsaleError).code).toBe('UNAVAILABLE');
  const cause = (error as FlashsaleError).cause;
  expect(cause).toBeInstanceOf(Error);
  expect(isFlashsaleError(cause)).toBe(false);
  return cause as Error;
}
