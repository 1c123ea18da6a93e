import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('config', () => {
  it('defaults to the embedded shape and is frozen', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ redisUrl: null, databaseUrl: null, port: 3000, visitors: true });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('charges through the simulated payment provider unless told otherwise', () => {
    expect(loadConfig({}).paymentProvider).toBe('simulated');
    expect(loadConfig({ FLASHSALE_PAYMENT_PROVIDER: 'simulated' }).paymentProvider).toBe('simulated');
  });

  it('switches visitors off by default in production', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).visitors).toBe(false);
  });

  it('leaves the number of serve processes to the machine unless FLASHSALE_PROCESSES says', () => {
    const production = { REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadConfig(production).processes).toBeNull();
    expect(loadConfig({ ...production, FLASHSALE_PROCESSES: '6' }).processes).toBe(6);
    expect(loadConfig({ FLASHSALE_PROCESSES: '1' }).processes).toBe(1);
  });

  it('reads the seed nodes of a Redis Cluster instead of REDIS_URL', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' });
    expect(config.shape).toBe('redis');
    expect(config.redisUrl).toBeNull();
    expect(config.redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(loadConfig({}).redisClusterNodes).toBeNull();
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: '127.0.0.1' }, /REDIS_CLUSTER_NODES must be host:port/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000,' }, /REDIS_CLUSTER_NODES must be host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis://127.0.0.1:7000' }, /REDIS_CLUSTER_NODES must be host:port/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:70000' }, /REDIS_CLUSTER_NODES must be host:port/],
    [
      { REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_URL: 'redis://127.0.0.1:6379' },
      /REDIS_URL .* or REDIS_CLUSTER_NODES .*, not both/,
    ],
  ])('refuses the cluster setting %o', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(pattern);
  });

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ FLASHSALE_PROCESSES: '0', REDIS_URL: 'redis://h' }, /FLASHSALE_PROCESSES must be a whole number/],
    [{ FLASHSALE_PROCESSES: '2' }, /FLASHSALE_PROCESSES=2 needs REDIS_URL/],
    [{ PORT: '70000' }, /PORT/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL/],
    [{ FLASHSALE_VISITORS: 'maybe' }, /FLASHSALE_VISITORS/],
    [{ FLASHSALE_USER_SECRET: 'short' }, /FLASHSALE_USER_SECRET/],
    [{ FLASHSALE_WORKER_CONCURRENCY: '0' }, /FLASHSALE_WORKER_CONCURRENCY/],
    [{ FLASHSALE_PAYMENT_PROVIDER: 'stripe' }, /FLASHSALE_PAYMENT_PROVIDER must be one of simulated/],
    [
      { FLASHSALE_ADMISSION_KEY_PREVIOUS: 'pem' },
      /FLASHSALE_ADMISSION_KEY_PREVIOUS needs FLASHSALE_ADMISSION_KEY/,
    ],
  ])('refuses %o with a message naming the variable', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(pattern);
  });
});
