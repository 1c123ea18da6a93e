/**
 * Why a simulation stopped, in words an operator can act on: the first call that failed (route,
 * status, code, message) and a hint for the usual causes, so a red report never says only "FAILED".
 */
export interface FirstFailure {
  /** A buyer route (`join`, `checkout`…) or `admin <what>` for the simulator's own admin calls. */
  route: string;
  /** 0: no answer (connection refused, reset, timed out). */
  status: number;
  code: string | null;
  message: string | null;
  /** Seconds since the run began. */
  atSeconds: number;
}

export interface StopReason {
  /** One line: every buyer finished, or why the run was cut short. */
  reason: string;
  firstFailure: FirstFailure | null;
  hint: string | null;
}

/** What to try next, judged from the first failure; null when nothing useful can be said. */
export function hintFor(failure: FirstFailure | null): string | null {
  if (failure === null) return null;
  if (failure.status === 429)
    return (
      "the service's rate limits refused the simulator (all its buyers share one IP): for a rehearsal, " +
      'run the service with FLASHSALE_RATE_LIMITS=off, or raise FLASHSALE_RATE_LIMIT_IP_PER_MINUTE'
    );
  if (failure.status === 401)
    return failure.route.startsWith('admin')
      ? 'the admin key was refused: pass the one the service printed (--admin-key or FLASHSALE_ADMIN_KEY)'
      : 'user tokens were refused: pass the service’s FLASHSALE_USER_SECRET, or turn visitors on';
  if (failure.code === 'POW_REQUIRED' || failure.code === 'POW_INVALID')
    return (
      "the sale's proof of work refused a simulated buyer (each solves its challenge in the " +
      "simulator's one thread, and gives up after three refusals): a lower difficulty " +
      '(--pow-difficulty, or the sale’s powDifficulty), or run the service with FLASHSALE_POW=off'
    );
  if (failure.status === 503 && failure.code === 'OVERLOADED')
    return 'the service shed load (its event loop lagged): fewer connections, or more API processes';
  if (failure.status === 503) return 'a store behind the service was unreachable: check /readyz';
  if (failure.status === 0)
    return `no answer (${failure.code ?? 'network error'}): is the service still running at the URL?`;
  return null;
}

export function stopReasonOf(facts: {
  abortReason: string | null;
  errors: number;
  firstFailure: FirstFailure | null;
}): StopReason {
  const { abortReason, errors, firstFailure } = facts;
  const reason =
    abortReason !== null
      ? `stopped early: ${abortReason}`
      : errors > 0
        ? `every buyer finished; ${errors} of them with an error`
        : 'every buyer finished';
  return { reason, firstFailure, hint: hintFor(firstFailure) };
}

export function describeFailure(f: FirstFailure): string {
  const answer = f.status === 0 ? 'no answer' : `HTTP ${f.status}`;
  const code = f.code === null ? '' : ` ${f.code}`;
  const message = f.message === null ? '' : `: ${f.message}`;
  return `${f.route} at ${f.atSeconds.toFixed(1)} s: ${answer}${code}${message}`;
}
