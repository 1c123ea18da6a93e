import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import { describeEngineContract } from './engine.contract.ts';
import { describeEngineDeparturesContract } from './engine.departures.contract.ts';
import { describeEngineProperties } from './engine.property.ts';
import { describeEngineRestoreContract } from './engine.restore.contract.ts';

describeEngineContract('memory', async (clock, options) => ({
  engine: new MemoryEngine(clock, options),
  cleanup: async () => {},
}));
describeEngineProperties('memory', async (clock, options) => ({
  engine: new MemoryEngine(clock, options),
  cleanup: async () => {},
}));
describeEngineRestoreContract('memory', async (clock, options) => ({
  engine: new MemoryEngine(clock, options),
  cleanup: async () => {},
}));
describeEngineDeparturesContract('memory', async (clock, options) => ({
  engine: new MemoryEngine(clock, options),
  cleanup: async () => {},
}));
