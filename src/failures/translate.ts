/**
 * What the driver-specific files here share: the socket errors Node reports for a connection that
 * cannot be made or was lost, and the translation of a recognised connection failure into the
 * registry's UNAVAILABLE (the driver's error kept as its cause, for the logs). Everything a server
 * answers itself (a refusal, a constraint violation, bad SQL) is not a connection failure and passes
 * through unchanged.
 */
import { FlashsaleError, unavailable } from '../domain/errors.ts';

/** Socket errors of the connection itself, as Node reports them. */
export const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isSocketError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && SOCKET_ERROR_CODES.has(code);
}

export interface FailureTranslator {
  /** A connection failure becomes UNAVAILABLE (caused by it); anything else is returned unchanged. */
  failure(error: unknown): unknown;
  /** Runs one call and rethrows its connection failures as UNAVAILABLE. */
  on<T>(call: () => Promise<T>): Promise<T>;
}

export function failureTranslator(isConnectionFailure: (error: unknown) => boolean): FailureTranslator {
  const failure = (error: unknown): unknown =>
    error instanceof FlashsaleError || !isConnectionFailure(error) ? error : unavailable(error);
  return {
    failure,
    async on(call) {
      try {
        return await call();
      } catch (error) {
        throw failure(error);
      }
    },
  };
}
