import type { Clock, EngineOptions, PartStore } from '../../src/engine/types.ts';

/**
 * What each adapter's test file hands to the contract suites: an engine built with `options` (a
 * PartStore, so that the suites of split sales can put a PartedEngine over it).
 */
export type EngineFactory = (
  clock: Clock,
  options?: EngineOptions,
) => Promise<{ engine: PartStore; cleanup: () => Promise<void> }>;
