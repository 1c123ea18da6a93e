import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import { describeEngineContract } from './engine.contract.ts';
import { describeEngineDeparturesContract } from './engine.departures.contract.ts';
import { describeEnginePartsContract } from './engine.parts.contract.ts';
import { describeEngineProperties } from './engine.property.ts';
import { describeEngineRestoreContract } from './engine.restore.contract.ts';
import type { EngineFactory } from './engineFactory.ts';

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

const factory: EngineFactory = async (clock, options) => ({
  engine: new MemoryEngine(clock, options),
  cleanup: async () => {},
});
describeEnginePartsContract('memory', factory);
for (const parts of [1, 3, 8]) describeEngineProperties('memory', factory, 1000, parts);
