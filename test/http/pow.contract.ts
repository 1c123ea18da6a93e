/**
 * Proof of work at join, one suite for both shapes: a challenge from POST /sales/{id}/challenge,
 * solved, lets a buyer join; no solution is 428 POW_REQUIRED, a wrong one 403 POW_INVALID, and neither
 * changes anything. A sale at difficulty 0 and FLASHSALE_POW=off ask for nothing; the difficulty
 * rises with the join rate; API processes of the production shape accept each other's challenges.
 */
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { leadingZeroBits } from '../../src/domain/pow.ts';
import { createHttpContext } from '../../src/http/context.ts';
import { solveChallenge } from '../../src/http/pow.ts';
import { buildServer } from '../../src/http/server.ts';
import type { Shape } from '../pipeline/shapes.ts';
import { type HttpHarness, liveSale, startHttp } from './harness.ts';
import { client, expectError } from './public/client.ts';

/** Small enough to solve in a test in a blink; the mechanism is the same at any difficulty. */
const DIFFICULTY = 8;
const POW_ON = { FLASHSALE_POW: 'on', FLASHSALE_VISITORS: 'on' };

const bitsOf = (solution: string) => leadingZeroBits(createHash('sha256').update(solution).digest());

/** A second server over the same app with other settings (no second database in this process). */
async function serverWith(app: App, over: (config: App['config']) => object) {
  const other = { ...app, config: Object.freeze({ ...app.config, ...over(app.config) }) };
  return buildServer(await createHttpContext(other));
}

export function describeProofOfWork(makeShape: () => Shape) {
  describe(`proof of work at join: ${makeShape.name}`, () => {
    const shape = makeShape();
    let harness: HttpHarness | undefined;
    const h = () => {
      if (harness === undefined) throw new Error('harness not started');
      return harness;
    };
    const { call, stats } = client(h);

    beforeAll(async () => {
      harness = await startHttp(shape, POW_ON);
    });
    afterAll(async () => {
      await harness?.close();
      await shape.cleanup();
    });

    const challenge = async (saleId: string, token: string) => {
      const res = await call('POST', `/sales/${saleId}/challenge`, { token });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { challenge: string; difficulty: number; expiresAt: number };
    };
    const solved = async (saleId: string, token: string) => {
      const c = await challenge(saleId, token);
      return solveChallenge(c.challenge, c.difficulty);
    };
    const join = (saleId: string, token: string, solution?: string): Promise<LightMyRequestResponse> =>
      call('POST', `/sales/${saleId}/queue`, {
        token,
        ...(solution === undefined ? {} : { headers: { 'x-pow-solution': solution } }),
      });
    const sale = (powDifficulty = DIFFICULTY) => liveSale(h().app, { powDifficulty });

    /** Refusals must leave the room as it was: nobody joined, the caller is not in line. */
    const expectNothingJoined = async (saleId: string, token: string) => {
      expect((await stats(saleId)).waiting).toBe(0);
      expectError(await call('GET', `/sales/${saleId}/queue`, { token }), 404, 'NOT_IN_QUEUE');
    };

    it('hands out a challenge bound to the caller at the sale’s difficulty; solved, it lets them join', async () => {
      const { id } = await sale();
      const token = await h().userToken('alice');
      const c = await challenge(id, token);
      expect(c.difficulty).toBe(DIFFICULTY);
      expect(c.expiresAt).toBeGreaterThan(Date.now());
      const solution = solveChallenge(c.challenge, c.difficulty);
      const first = await join(id, token, solution);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ state: 'waiting', position: 1 });
      // A retried join with the same solution keeps the place (joining is idempotent per user).
      const again = await join(id, token, solution);
      expect(again.json()).toMatchObject({ state: 'waiting', position: 1 });
      expect((await stats(id)).waiting).toBe(1);
    });

    it('refuses a join without a solution: 428 POW_REQUIRED, nothing joined', async () => {
      const { id } = await sale();
      const token = await h().userToken('no-work');
      expectError(await join(id, token), 428, 'POW_REQUIRED');
      expectError(await join(id, token, ''), 428, 'POW_REQUIRED');
      await expectNothingJoined(id, token);
    });

    it('refuses a solution for another sale, another user, with too few bits or tampered: 403 POW_INVALID', async () => {
      const [{ id }, other] = await Promise.all([sale(), sale()]);
      const token = await h().userToken('mallory');
      const bob = await h().userToken('bob');
      const reasonOf = (res: LightMyRequestResponse) => {
        expectError(res, 403, 'POW_INVALID');
        return res.json().error.details.reason;
      };
      expect(reasonOf(await join(id, token, await solved(other.id, token)))).toBe('sale');
      expect(reasonOf(await join(id, token, await solved(id, bob)))).toBe('user');
      const c = await challenge(id, token);
      let counter = 0;
      while (bitsOf(`${c.challenge}.${counter}`) >= c.difficulty) counter++;
      expect(reasonOf(await join(id, token, `${c.challenge}.${counter}`))).toBe('bits');
      const solution = solveChallenge(c.challenge, c.difficulty);
      const [payload, mac, n] = solution.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const easier = Buffer.from(JSON.stringify({ ...claims, d: 0 })).toString('base64url');
      expect(reasonOf(await join(id, token, `${easier}.${mac}.${n}`))).toBe('signature');
      expect(reasonOf(await join(id, token, 'not-a-solution'))).toBe('malformed');
      await expectNothingJoined(id, token);
      expect((await join(id, token, solution)).statusCode).toBe(200);
    });

    it('answers the challenge route like the others: 401 without a token, 404 for an unknown sale', async () => {
      const token = await h().userToken('alice');
      expectError(await call('POST', '/sales/nope/challenge'), 401, 'UNAUTHENTICATED');
      expectError(await call('POST', '/sales/nope/challenge', { token }), 404, 'SALE_NOT_FOUND');
      expectError(await join('nope', token), 404, 'SALE_NOT_FOUND');
    });

    it('asks nothing of a sale at difficulty 0: joining needs no solution, a challenge is trivial', async () => {
      const { id } = await sale(0);
      const token = await h().userToken('carol');
      expect((await challenge(id, token)).difficulty).toBe(0);
      expect((await join(id, token)).statusCode).toBe(200);
    });

    it('is off with FLASHSALE_POW=off: joining needs no solution, challenges say difficulty 0', async () => {
      const { id } = await sale(20);
      const off = await serverWith(h().app, (c) => ({ pow: { ...c.pow, enabled: false } }));
      try {
        const token = await h().userToken('load-test');
        const headers = { authorization: `Bearer ${token}` };
        const url = `/api/v1/sales/${id}`;
        const c = await off.inject({ method: 'POST', url: `${url}/challenge`, headers });
        expect(c.json().difficulty).toBe(0);
        expect((await off.inject({ method: 'POST', url: `${url}/queue`, headers })).statusCode).toBe(200);
      } finally {
        await off.close();
      }
    });

    it('rises with the join rate: past FLASHSALE_POW_RISE_JOINS_PER_SECOND, a challenge asks for more bits', async () => {
      const { id } = await sale(1);
      const busy = await serverWith(h().app, (c) => ({ pow: { ...c.pow, riseAbovePerSecond: 1 } }));
      try {
        const ask = async (user: string) => {
          const headers = { authorization: `Bearer ${await h().userToken(user)}` };
          const base = `/api/v1/sales/${id}`;
          const c = (await busy.inject({ method: 'POST', url: `${base}/challenge`, headers })).json();
          const solution = solveChallenge(c.challenge, c.difficulty);
          const res = await busy.inject({
            method: 'POST',
            url: `${base}/queue`,
            headers: { ...headers, 'x-pow-solution': solution },
          });
          expect(res.statusCode).toBe(200);
          return c.difficulty as number;
        };
        expect(await ask('first')).toBe(1);
        for (let i = 0; i < 12; i++) await ask(`crowd-${i}`);
        // The poll cache's snapshot is at most a quarter of a second old.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await ask('late')).toBeGreaterThan(1);
      } finally {
        await busy.close();
      }
    });

    it('is a sale setting: the admin API shows it, takes 0-32 and refuses more', async () => {
      const admin = h().admin;
      const { id } = await sale(12);
      const read = await h().server.inject({ url: `/api/v1/admin/sales/${id}`, headers: admin });
      expect(read.json().powDifficulty).toBe(12);
      const now = Date.now();
      const body = { name: 'x', priceCents: 1, totalStock: 1, startsAt: now, endsAt: now + 60_000 };
      const create = (over: object) =>
        h().server.inject({
          method: 'POST',
          url: '/api/v1/admin/sales',
          headers: admin,
          payload: { ...body, ...over },
        });
      const made = await create({ id: `pow-${now}` });
      expect(made.statusCode).toBe(201);
      expect(made.json().powDifficulty).toBe(18);
      expectError(await create({ id: `pow-${now}-b`, powDifficulty: 33 }), 400, 'INVALID_REQUEST');
    });

    if (shape.name === 'redis') {
      it('is shared by API processes: a challenge from one is accepted by another', async () => {
        const { id } = await sale();
        const other = await startHttp(shape, POW_ON);
        try {
          const token = await h().userToken('roamer');
          const solution = await solved(id, token);
          const res = await other.server.inject({
            method: 'POST',
            url: `/api/v1/sales/${id}/queue`,
            headers: { authorization: `Bearer ${token}`, 'x-pow-solution': solution },
          });
          expect(res.statusCode, res.body).toBe(200);
        } finally {
          await other.close();
        }
      });
    }
  });
}
