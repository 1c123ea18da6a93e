/**
 * The one place that knows what losing the database looks like, for both adapters (postgres.ts,
 * pglite.ts). A connection failure becomes the registry's UNAVAILABLE with the driver's error as its
 * cause; everything else the database says (a constraint violation, bad SQL, a serialization failure)
 * stays the driver's error, for the caller to handle or to surface as INTERNAL.
 */
import { failureTranslator, isSocketError } from './translate.ts';

/**
 * SQLSTATEs of a lost or refused session: class 08 (connection exception) and the server going away
 * under it: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up).
 */
const SHUTDOWN_STATES = new Set(['57P01', '57P02', '57P03']);

/** 57014 query_canceled: statement_timeout ended a statement (this process never cancels its own). */
const TIMEOUT_STATES = new Set(['57014']);

/**
 * node-postgres reports these without a code. Deliberately absent: "Client was closed" and "Cannot use
 * a pool after calling end on the pool", which mean this process closed its own database.
 */
const DRIVER_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  // query_timeout: the server did not answer in time (a partition, or a server stuck).
  'Query read timeout',
]);

export function isDatabaseConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || SHUTDOWN_STATES.has(code) || TIMEOUT_STATES.has(code)) return true;
  }
  return isSocketError(error) || DRIVER_MESSAGES.has(error.message);
}

const translator = failureTranslator(isDatabaseConnectionFailure);

/** A connection failure becomes UNAVAILABLE (caused by it); anything else is returned unchanged. */
export const databaseFailure = translator.failure;

/** Runs one database call and rethrows its connection failures as UNAVAILABLE. */
export const onDatabase = translator.on;
