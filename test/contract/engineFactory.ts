import type { Clock, EngineOptions, SaleEngine } from '../../src/engine/types.ts';

/** What each adapter's test file hands to the contract suites: an engine built with `options`. */
export type EngineFactory = (
  clock: Clock,
  options?: EngineOptions,
) => Promise<{ engine: SaleEngine; cleanup: () => Promise<void> }>;
