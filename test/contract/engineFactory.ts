import type { Clock, SaleEngine } from '../../src/engine/types.ts';

/** What each adapter's test file hands to the contract suites. */
export type EngineFactory = (clock: Clock) => Promise<{ engine: SaleEngine; cleanup: () => Promise<void> }>;
