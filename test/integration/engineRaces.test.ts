import { Redis } from 'ioredis';
import { describe } from 'vitest';
import { hasRedis, REDIS_URL } from '../support/services.ts';
import { describeEngineRaces } from './engineRaces.suite.ts';

describe.skipIf(!(await hasRedis()))('one Redis', () => {
  describeEngineRaces('real Redis', () => new Redis(REDIS_URL));
});
