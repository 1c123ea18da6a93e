/**
 * Rate limits counted in the shape's shared store: two API processes on the same stores, a limit of
 * 5 per IP, and the 6th request, whichever process it reaches, is refused. Run on one Redis
 * (protection.test.ts) and on a Redis Cluster (test/pipeline/cluster.test.ts).
 */
import { expect } from 'vitest';
import type { Shape } from '../pipeline/shapes.ts';
import { startHttp } from './harness.ts';

/** An open read that counts against the IP limit (admin calls with the key have their own budget). */
const OPEN = '/.well-known/jwks.json';

export async function expectSharedRateLimits(shape: Shape): Promise<void> {
  const env = {
    FLASHSALE_RATE_LIMITS: 'on',
    FLASHSALE_RATE_LIMIT_IP_PER_MINUTE: '5',
    FLASHSALE_RATE_LIMIT_USER_PER_MINUTE: '1000',
  };
  const a = await startHttp(shape, env);
  const b = await startHttp(shape, env);
  try {
    for (const h of [a, b, a, b, a]) expect((await h.server.inject({ url: OPEN })).statusCode).toBe(200);
    for (const h of [b, a]) {
      const res = await h.server.inject({ url: OPEN });
      expect(res.statusCode).toBe(429);
      expect(res.json().error.code).toBe('RATE_LIMITED');
    }
  } finally {
    await a.close();
    await b.close();
  }
}
