import { describe } from 'vitest';
import { redisShape } from '../pipeline/shapes.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { describeProofOfWork } from './pow.contract.ts';

const ready = (await hasRedis()) && (await hasPostgres());
describe.skipIf(!ready)('production shape', () => {
  describeProofOfWork(redisShape);
});
