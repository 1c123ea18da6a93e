/**
 * The public buyer API, one suite for both shapes (embedded and production): every route through
 * `inject()`, refusals with their exact status and code and no change to the sale's counters, and
 * whole buyer flows through a real socket. The cases live in `public/`, one module per area.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { Shape } from '../pipeline/shapes.ts';
import { type HttpHarness, startHttp } from './harness.ts';
import { checkoutCases } from './public/checkout.ts';
import { client, type PublicTest } from './public/client.ts';
import { leaveCases } from './public/leave.ts';
import { readCases } from './public/reads.ts';
import { socketCases } from './public/socket.ts';

export function describePublicApi(makeShape: () => Shape) {
  describe(`public API through inject(): ${makeShape.name}`, () => {
    const shape = makeShape();
    let harness: HttpHarness | undefined;
    const h = () => {
      if (harness === undefined) throw new Error('harness not started');
      return harness;
    };
    const t: PublicTest = {
      shape,
      get h() {
        return h();
      },
      ...client(h),
    };

    beforeAll(async () => {
      harness = await startHttp(shape, { FLASHSALE_VISITORS: 'on' });
      harness.startWorker(false); // orders run; admission steps are the tests' to take
    });
    afterAll(async () => {
      await harness?.close();
      await shape.cleanup();
    });

    readCases(t);
    checkoutCases(t);
    leaveCases(t);
  });

  // Its own shape: the admission ticks of this harness must not reach the other suite's sales.
  socketCases(makeShape);
}
