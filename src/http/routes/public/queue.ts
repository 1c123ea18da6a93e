import type { FastifyInstance } from 'fastify';
import { FlashsaleError } from '../../../domain/errors.ts';
import { forgetOldestTenth } from '../../../domain/forgetOldest.ts';
import type { PublicQueueState, QueueStatus } from '../../../domain/queue.ts';
import { onBuyersSale } from '../../../sales/read.ts';
import type { HttpContext } from '../../context.ts';
import {
  BUYER_ROUTE_ERRORS,
  errors,
  joinHeaders,
  queueStatusSchema,
  saleParams,
  USER_TOKEN_SECURITY,
} from '../../schemas.ts';
import { requireProofOfWork } from './challenge.ts';
import { authenticate, callerOf } from './common.ts';

interface QueueAnswer {
  state: PublicQueueState;
  position: number | null;
  ahead: number | null;
  etaSeconds: number | null;
  pollAfterMs: number | null;
  admission?: { token: string; expiresAt: number };
}

/**
 * Admission tokens remembered per process: enough for every admitted buyer of a large sale (a token is
 * ~400 bytes), so that a crowd of admitted pollers never signs twice. When full, the oldest tenth goes
 * (Map keeps insertion order); clearing it all made 40,000 admitted pollers sign on almost every poll.
 */
const MAX_CACHED_TOKENS = 200_000;

export function queueRoutes(server: FastifyInstance, ctx: HttpContext): void {
  // An admitted buyer polls until they check out; signing (ES256) on every poll would make the
  // cheapest route the costliest. A token is fully determined by user, sale and session end.
  const tokens = new Map<string, string>();
  const admissionToken = (userId: string, saleId: string, expiresAt: number): string => {
    const key = `${saleId}\n${userId}\n${expiresAt}`;
    let token = tokens.get(key);
    if (token === undefined) {
      forgetOldestTenth(tokens, MAX_CACHED_TOKENS);
      token = ctx.admission.sign({ userId, saleId, expiresAt });
      tokens.set(key, token);
    }
    return token;
  };

  const answer = (status: QueueStatus, saleId: string, userId: string): QueueAnswer => {
    if (status.state === 'not_in_queue') throw new FlashsaleError('NOT_IN_QUEUE');
    const body: QueueAnswer = {
      state: status.state,
      position: status.position,
      ahead: status.ahead,
      etaSeconds: status.etaSeconds,
      pollAfterMs: status.pollAfterMs,
    };
    if (status.state === 'admitted' && status.admittedUntil !== null) {
      const expiresAt = status.admittedUntil;
      body.admission = { token: admissionToken(userId, saleId, expiresAt), expiresAt };
    }
    return body;
  };

  const pollAnswer = (status: QueueStatus, saleId: string, userId: string): QueueAnswer => {
    const body = answer(status, saleId, userId);
    // Under load, waiters come back later (src/http/shedding.ts); admitted pollers keep their pace,
    // their polls being the heartbeat that keeps their slot.
    if (body.state === 'waiting' && body.pollAfterMs !== null)
      body.pollAfterMs = ctx.load.pollAfterMs(body.pollAfterMs);
    return body;
  };

  const description =
    'Answers `{state, position, ahead, etaSeconds, pollAfterMs}`, plus `admission` once admitted. ' +
    'Poll again after `pollAfterMs`.';

  server.post<{ Params: { saleId: string } }>(
    '/sales/:saleId/queue',
    {
      preValidation: authenticate(ctx),
      preHandler: requireProofOfWork(ctx),
      schema: {
        tags: ['waiting room'],
        operationId: 'joinQueue',
        summary: 'Join the waiting room (idempotent: joining again keeps the place)',
        description:
          `${description} Refused with 409 NOT_LIVE before the waiting room opens. Unless the sale's ` +
          'difficulty is 0, needs `X-Pow-Solution`, a solved challenge from POST /sales/{saleId}/challenge ' +
          '(428 POW_REQUIRED without it, 403 POW_INVALID with a wrong or expired one: get a new challenge).',
        security: USER_TOKEN_SECURITY,
        params: saleParams,
        headers: joinHeaders,
        response: {
          200: queueStatusSchema,
          ...errors(400, 401, 403, 404, 409, 428, ...BUYER_ROUTE_ERRORS),
        },
      },
    },
    async (request) => {
      const userId = callerOf(request);
      const { saleId } = request.params;
      return answer(
        await onBuyersSale(ctx.app, saleId, () => ctx.queue.join(saleId, userId)),
        saleId,
        userId,
      );
    },
  );

  server.get<{ Params: { saleId: string } }>(
    '/sales/:saleId/queue',
    {
      preValidation: authenticate(ctx),
      schema: {
        tags: ['waiting room'],
        operationId: 'getQueueStatus',
        summary: 'Where the caller stands in the waiting room',
        description: `${description} Answered from a per-process snapshot refreshed a few times a second, not from the store. 404 NOT_IN_QUEUE if the caller never joined.`,
        security: USER_TOKEN_SECURITY,
        params: saleParams,
        response: { 200: queueStatusSchema, ...errors(400, 401, 404, ...BUYER_ROUTE_ERRORS) },
      },
    },
    (request, reply) => {
      const userId = callerOf(request);
      const { saleId } = request.params;
      // Answered at once from this process's memory when it can (most polls); else after a read.
      const known = ctx.queue.statusNow(saleId, userId);
      if (known !== null) return reply.send(pollAnswer(known, saleId, userId));
      return onBuyersSale(ctx.app, saleId, () => ctx.queue.status(saleId, userId)).then((status) =>
        pollAnswer(status, saleId, userId),
      );
    },
  );
}
