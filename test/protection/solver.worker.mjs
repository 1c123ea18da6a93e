/**
 * A worker thread running the reference solver (src/http/pow.ts), so the test's buyers and bot can
 * hash on every core while the service in the main thread keeps answering. Plain JavaScript that
 * registers tsx, since a worker does not inherit vitest's TypeScript transform.
 */
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { solveChallenge } = await import('../../src/http/pow.ts');

parentPort?.on('message', ({ id, challenge, difficulty }) => {
  parentPort?.postMessage({ id, solution: solveChallenge(challenge, difficulty) });
});
