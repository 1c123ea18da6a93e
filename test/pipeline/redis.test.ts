import { describe } from 'vitest';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { describePipelineContract } from './pipeline.contract.ts';
import { redisShape } from './shapes.ts';

const ready = (await hasRedis()) && (await hasPostgres());
describe.skipIf(!ready)('production shape', () => {
  describePipelineContract(redisShape, { orders: 10_000 });
});
