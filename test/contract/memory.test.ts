import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import { describeEngineContract } from './engine.contract.ts';
import { describeEngineProperties } from './engine.property.ts';
import { describeEngineRestoreContract } from './engine.restore.contract.ts';

describeEngineContract('memory', async (clock) => ({
  engine: new MemoryEngine(clock),
  cleanup: async () => {},
}));
describeEngineProperties('memory', async (clock) => ({
  engine: new MemoryEngine(clock),
  cleanup: async () => {},
}));
describeEngineRestoreContract('memory', async (clock) => ({
  engine: new MemoryEngine(clock),
  cleanup: async () => {},
}));
