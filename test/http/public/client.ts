/**
 * A small client of the public API for the contract suite: requests through `inject()`, and the
 * steps a buyer takes (join, wait for admission, poll an order).
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { solveChallenge } from '../../../src/http/pow.ts';
import type { Shape } from '../../pipeline/shapes.ts';
import type { HttpHarness } from '../harness.ts';

export const ORDER_ID = /^[A-Za-z0-9_-]{1,64}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface CallOptions {
  token?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Method = 'GET' | 'POST' | 'DELETE';

export function client(h: () => HttpHarness) {
  const call = (method: Method, path: string, options: CallOptions = {}): Promise<LightMyRequestResponse> =>
    h().server.inject({
      method,
      url: `/api/v1${path}`,
      headers: {
        ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      // Strings go as they are (raw bodies); anything else as JSON.
      ...(options.body !== undefined ? { payload: options.body as object | string } : {}),
    });

  /**
   * A solved proof-of-work challenge for this user and sale, as X-Pow-Solution (the service asks for
   * one when FLASHSALE_POW is on and the sale's difficulty is not 0; else it is ignored).
   */
  const solution = async (saleId: string, token: string): Promise<Record<string, string>> => {
    const res = await call('POST', `/sales/${saleId}/challenge`, { token });
    expect(res.statusCode, res.body).toBe(200);
    const { challenge, difficulty } = res.json();
    return { 'x-pow-solution': solveChallenge(challenge, difficulty) };
  };

  /** Joins (solving the challenge), runs one admission step, and polls until admitted; returns both tokens. */
  const admitted = async (saleId: string, ...userIds: string[]) => {
    const tokens = await Promise.all(userIds.map((u) => h().userToken(u)));
    for (const token of tokens) {
      const headers = await solution(saleId, token);
      expect((await call('POST', `/sales/${saleId}/queue`, { token, headers })).statusCode).toBe(200);
    }
    await h().app.engine.admit(saleId);
    return Promise.all(
      tokens.map(async (token) => {
        for (let i = 0; i < 100; i++) {
          const res = await call('GET', `/sales/${saleId}/queue`, { token });
          const body = res.json();
          if (body.state === 'admitted') return { token, admission: body.admission.token as string };
          await sleep(50);
        }
        throw new Error(`not admitted to ${saleId}`);
      }),
    );
  };

  const buy = (
    saleId: string,
    who: { token: string; admission: string },
    options: { key?: string; quantity?: number; paymentMethod?: string } = {},
  ) =>
    call('POST', `/sales/${saleId}/checkout`, {
      token: who.token,
      headers: { 'x-admission-token': who.admission, 'idempotency-key': options.key ?? crypto.randomUUID() },
      body: { quantity: options.quantity ?? 1, paymentMethod: options.paymentMethod ?? 'pm_ok' },
    });

  /** Polls the waiting room until `state` (the poll cache may be a fraction of a second old). */
  const queueUntil = async (saleId: string, token: string, state: string) => {
    for (let i = 0; i < 100; i++) {
      const body = (await call('GET', `/sales/${saleId}/queue`, { token })).json();
      if (body.state === state) return body;
      await sleep(50);
    }
    throw new Error(`queue of ${saleId} never reached ${state}`);
  };

  /** Polls an order until it reaches `status`; returns its last body. */
  const orderUntil = async (token: string, orderId: string, status: string) => {
    let body: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) {
      const res = await call('GET', `/orders/${orderId}`, { token });
      expect(res.statusCode).toBe(200);
      body = res.json();
      if (body.status === status) return body;
      await sleep(50);
    }
    throw new Error(`order ${orderId} stayed ${String(body.status)}, expected ${status}`);
  };

  const stats = (saleId: string) => h().app.engine.stats(saleId);

  return { call, solution, admitted, buy, orderUntil, queueUntil, stats };
}

/** What every case module gets: the shape, its running harness, and the client. */
export interface PublicTest extends ReturnType<typeof client> {
  shape: Shape;
  readonly h: HttpHarness;
}

/** Asserts the exact status and error code of a refusal. */
export function expectError(res: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: res.statusCode, body: res.json() }).toMatchObject({ status, body: { error: { code } } });
  expect(typeof res.json().error.message).toBe('string');
}
