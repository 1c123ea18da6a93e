/**
 * Races against real Redis through many connections: the atomicity claims of the Lua scripts,
 * proven by racing real requests rather than by reasoning. One suite, run on one Redis
 * (engineRaces.test.ts) and on a Redis Cluster (engineRaces.cluster.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlashsaleError } from '../../src/domain/errors.ts';
import type { SaleInput } from '../../src/domain/sale.ts';
import { RedisEngine } from '../../src/engine/redis/redisEngine.ts';
import type { Clock } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import { raceUntilBothOutcomes } from '../support/holdRace.ts';
import { deleteKeys } from '../support/redisKeys.ts';

const CONNECTIONS = 16;

const codeOf = (error: unknown) => (error instanceof FlashsaleError ? error.code : String(error));

type Connection = Redis | Cluster;

/**
 * `connect()` opens one connection (one Redis client, or one cluster client, which holds a socket
 * to each master) to the store under test; it is called once the suite's hooks have run.
 */
export function describeEngineRaces(name: string, connect: () => Connection): void {
  const prefix = `race:${randomUUID().slice(0, 8)}:`;

  /** Engines with their own connections, as separate API processes would have. */
  function engines(count: number, clock: Clock): { list: RedisEngine[]; connections: Connection[] } {
    const connections = Array.from({ length: count }, connect);
    return { list: connections.map((c) => new RedisEngine(c, clock, { prefix })), connections };
  }

  describe(`engine races on ${name}`, () => {
    const clock = new TestClock(Date.now());
    let pool: { list: RedisEngine[]; connections: Connection[] };
    const at = (i: number) => pool.list[i % pool.list.length] as RedisEngine;
    const create = (over: Partial<SaleInput>) =>
      at(0).createSale({
        id: `r-${randomUUID().slice(0, 8)}`,
        totalStock: 100,
        perUserLimit: 1,
        startsAt: clock.now(),
        endsAt: clock.now() + 3_600_000,
        holdSeconds: 300,
        ...over,
      });

    beforeAll(() => {
      pool = engines(CONNECTIONS, clock);
    });
    afterAll(async () => {
      const admin = connect();
      await deleteKeys(admin, `${prefix}*`);
      await admin.quit();
      await Promise.all(pool.connections.map((c) => c.quit()));
    });

    it('10,000 buyers racing for 100 units: exactly 100 holds, 0 available', async () => {
      const sale = await create({ totalStock: 100 });
      const results = await Promise.allSettled(
        Array.from({ length: 10_000 }, (_, i) =>
          at(i).reserve({ saleId: sale.id, userId: `buyer-${i}`, quantity: 1, idempotencyKey: `k${i}` }),
        ),
      );
      const holds = results.filter((r) => r.status === 'fulfilled');
      const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(holds).toHaveLength(100);
      expect(new Set(refusals.map((r) => codeOf(r.reason)))).toEqual(new Set(['SOLD_OUT']));
      expect(await at(3).stats(sale.id)).toMatchObject({ total: 100, available: 0, held: 100, sold: 0 });
    });

    it('one user racing 50 reservations never gets more than the limit', async () => {
      const sale = await create({ totalStock: 100, perUserLimit: 3 });
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          at(i).reserve({ saleId: sale.id, userId: 'greedy', quantity: 1, idempotencyKey: `k${i}` }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      // Every other attempt is refused by the limit, not by anything else (a dropped connection…).
      const refusals = results.flatMap((r) => (r.status === 'rejected' ? [codeOf(r.reason)] : []));
      expect(refusals).toEqual(Array.from({ length: 47 }, () => 'LIMIT_EXCEEDED'));
      const sameKey = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          at(i).reserve({ saleId: sale.id, userId: 'retrier', quantity: 2, idempotencyKey: 'one-key' }),
        ),
      );
      expect(new Set(sameKey.map((h) => h.id)).size).toBe(1);
      expect(await at(1).stats(sale.id)).toMatchObject({ available: 95, held: 5 });
    });

    it('confirm against release on live holds, through 16 connections: each hold ends one way', async () => {
      const sales: string[] = [];
      const fresh = async () => {
        const sale = await create({ totalStock: 500, perUserLimit: 2 });
        sales.push(sale.id);
        const holds = await Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            at(i).reserve({
              saleId: sale.id,
              userId: `live${i}`,
              quantity: 1 + (i % 2),
              idempotencyKey: 'k',
            }),
          ),
        );
        return { saleId: sale.id, holds };
      };
      const { confirmed, released, holds } = await raceUntilBothOutcomes(at, fresh, 5);
      expect(confirmed + released).toBe(holds);
      for (const id of sales) expect(await at(5).stats(id)).toMatchObject({ total: 500, held: 0 });
    });

    it('release, confirm and the sweeper racing on holds past their deadline return units exactly once', async () => {
      const sale = await create({ totalStock: 200, holdSeconds: 10 });
      const holds = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          at(i).reserve({ saleId: sale.id, userId: `u${i}`, quantity: 1, idempotencyKey: 'k' }),
        ),
      );
      clock.advance(10_000);
      const racers: Promise<unknown>[] = [];
      const kinds: Array<'release' | 'confirm' | 'sweep'> = [];
      const race = (kind: (typeof kinds)[number], call: Promise<unknown>) => {
        kinds.push(kind);
        racers.push(call);
      };
      holds.forEach((hold, i) => {
        race('release', at(i).release(sale.id, hold.id, 'cancelled'));
        race('release', at(i + 1).release(sale.id, hold.id, 'payment_failed'));
        race('confirm', at(i + 2).confirm(sale.id, hold.id));
        if (i % 10 === 0) race('sweep', at(i + 3).sweepExpired(sale.id, 50));
      });
      const settled = await Promise.allSettled(racers);
      // Every confirm lost (past the deadline, or after a release won); nothing else may fail.
      const confirms = settled.filter((_, k) => kinds[k] === 'confirm');
      expect(confirms.every((r) => r.status === 'rejected')).toBe(true);
      const codes = new Set(settled.flatMap((r) => (r.status === 'rejected' ? [codeOf(r.reason)] : [])));
      for (const code of codes) expect(['HOLD_EXPIRED', 'HOLD_RELEASED']).toContain(code);
      // Releases and sweeps never fail here, and together end each hold at most once (a confirm that
      // found a hold expired ends it too, so the sum may be below 200, never above).
      const releases = settled.filter((_, k) => kinds[k] === 'release');
      const swept = settled.filter((_, k) => kinds[k] === 'sweep');
      expect([...releases, ...swept].filter((r) => r.status === 'rejected')).toEqual([]);
      const releasedHere = releases.filter(
        (r) => r.status === 'fulfilled' && (r.value as { changed: boolean }).changed,
      ).length;
      const sweptHere = swept.reduce((n, r) => n + (r.status === 'fulfilled' ? (r.value as number) : 0), 0);
      expect(releasedHere + sweptHere).toBeLessThanOrEqual(200);
      expect(await at(0).stats(sale.id)).toMatchObject({ total: 200, available: 200, held: 0, sold: 0 });
      const ended = await Promise.all(holds.map((h) => at(0).getHold(sale.id, h.id)));
      expect(ended.every((h) => h?.status === 'released')).toBe(true);
    });

    it('4 engines running admission at once never exceed the active cap', async () => {
      const { list, connections } = engines(4, clock);
      const maxActive = 50;
      const sale = await create({
        totalStock: 10_000,
        admission: { perSecond: 40, maxActive, sessionSeconds: 5 },
      });
      // Joined one by one, so w<i> has place i + 1 and `w${admitted - 1}` is the last one admitted.
      for (let i = 0; i < 2000; i++) await at(i).join(sale.id, `w${i}`);
      let admittedTotal = 0;
      for (let round = 0; round < 40; round++) {
        const steps = await Promise.all(list.flatMap((e) => [e.admit(sale.id), e.admit(sale.id)]));
        admittedTotal += steps.reduce((sum, s) => sum + s.admitted, 0);
        const stats = await list[round % 4]?.stats(sale.id);
        expect(stats?.active).toBeLessThanOrEqual(maxActive);
        expect(stats?.admitted).toBe(admittedTotal);
        // Some admitted shoppers check out, freeing their slots for the next in line.
        if (round % 3 === 0 && stats) {
          await list[0]?.reserve({
            saleId: sale.id,
            userId: `w${stats.admitted - 1}`,
            quantity: 1,
            idempotencyKey: 'k',
          });
        }
        clock.advance(250);
      }
      // The rate bound: 40/s with one second of burst over 10 s of steps.
      expect(admittedTotal).toBeLessThanOrEqual(40 * 10 + 40);
      expect(admittedTotal).toBeGreaterThan(maxActive);
      await Promise.all(connections.map((c) => c.quit()));
    });

    it('1,000 users joining and rejoining at once keep their places', async () => {
      const sale = await create({ startsAt: clock.now() + 60_000, prequeueAt: clock.now() });
      const first = await Promise.all(Array.from({ length: 1000 }, (_, i) => at(i).join(sale.id, `j${i}`)));
      const again = await Promise.all(
        Array.from({ length: 3000 }, (_, i) => at(i + 7).join(sale.id, `j${i % 1000}`)),
      );
      const tickets = first.map((s) => s.ticket);
      expect(new Set(tickets).size).toBe(1000);
      expect(Math.max(...(tickets as number[]))).toBe(1000);
      for (const [i, s] of again.entries()) expect(s.ticket).toBe(tickets[i % 1000]);
      expect((await at(0).stats(sale.id)).waiting).toBe(1000);
    });
  });
}
