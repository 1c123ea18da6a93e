import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import { describeEngineContract } from './engine.contract.ts';

describeEngineContract('memory', async (clock) => ({ engine: new MemoryEngine(clock), cleanup: async () => {} }));
