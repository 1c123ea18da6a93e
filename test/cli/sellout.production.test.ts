import { describe } from 'vitest';
import { redisShape } from '../pipeline/shapes.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { describeSellout } from './sellout.suite.ts';

const ready = (await hasRedis()) && (await hasPostgres());
describe.skipIf(!ready)('production shape', () => {
  describeSellout('two APIs and a worker sell out a sale', redisShape);
});
