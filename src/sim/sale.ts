/** The sale under simulation, through the admin API: create (or look up), start, watch, end. */
import type { AdminClient } from './http.ts';
import type { SimOptions } from './options.ts';

export class SimError extends Error {
  override name = 'SimError';

  constructor(
    message: string,
    /** The admin call that failed, when one did. */
    readonly failure: {
      route: string;
      status: number;
      code: string | null;
      message: string | null;
    } | null = null,
  ) {
    super(message);
  }
}

export interface SaleInfo {
  id: string;
  created: boolean;
  totalStock: number;
  perUserLimit: number;
  queueing: 'fifo' | 'shuffle';
  startsAt: number;
  admission: { perSecond: number; maxActive: number; sessionSeconds: number };
  holdSeconds: number;
  /** Proof-of-work bits the sale asks of a joiner (0: none). */
  powDifficulty: number;
}

export interface Stats {
  stock: { total: number; available: number; held: number; sold: number };
  queue: { waiting: number; admitted: number; active: number };
  orders: { pending: number; confirmed: number; failed: number; expired: number };
}

function refused(what: string, reply: { status: number; body: unknown }): SimError {
  const error = (reply.body as { error?: { code?: string; message?: string } } | null)?.error;
  const failure = {
    route: `admin ${what}`,
    status: reply.status,
    code: error?.code ?? null,
    message: error?.message ?? null,
  };
  if (reply.status === 401) return new SimError(`${what}: the admin key was refused (401)`, failure);
  return new SimError(
    `${what}: HTTP ${reply.status} ${error?.code ?? ''} ${error?.message ?? ''}`.trim(),
    failure,
  );
}

function infoOf(body: Record<string, unknown>, created: boolean): SaleInfo {
  const b = body as unknown as SaleInfo & { admission: SaleInfo['admission'] };
  return {
    id: b.id,
    created,
    totalStock: b.totalStock,
    perUserLimit: b.perUserLimit,
    queueing: b.queueing,
    startsAt: b.startsAt,
    admission: { ...b.admission },
    holdSeconds: b.holdSeconds,
    powDifficulty: typeof b.powDifficulty === 'number' ? b.powDifficulty : 0,
  };
}

/**
 * Creates the run's sale: its waiting room opens now, it starts `startAfterSeconds` after the
 * arrivals begin (the simulator also calls start then), and ends in a day.
 */
export async function prepareSale(admin: AdminClient, o: SimOptions, runId: string): Promise<SaleInfo> {
  if (o.saleId !== null) {
    const reply = await admin.call('GET', `/sales/${encodeURIComponent(o.saleId)}`);
    if (reply.status !== 200) throw refused(`sale ${o.saleId}`, reply);
    return infoOf(reply.body, false);
  }
  const now = Date.now();
  const startsAt = now + Math.round(o.startAfterSeconds * 1000);
  const reply = await admin.call('POST', '/sales', {
    id: `sim-${runId}`,
    name: `Simulated drop (${o.buyers} buyers)`,
    description: 'Created by flashsale simulate',
    priceCents: 1000,
    currency: 'EUR',
    totalStock: o.stock,
    perUserLimit: o.limit,
    prequeueAt: now,
    startsAt,
    endsAt: startsAt + 24 * 3600_000,
    queueing: o.queueing,
    admission: { perSecond: o.perSecond, maxActive: o.maxActive, sessionSeconds: o.sessionSeconds },
    holdSeconds: o.holdSeconds,
    // The rehearsal measures the service, not hashing: by default its virtual buyers join without
    // proof of work; with a bot crowd the sale asks a little (--pow-difficulty), which they solve.
    powDifficulty: o.powDifficulty,
  });
  if (reply.status !== 201) throw refused('creating the sale', reply);
  return infoOf(reply.body, true);
}

export async function fetchStats(admin: AdminClient, saleId: string): Promise<Stats> {
  const reply = await admin.call('GET', `/sales/${encodeURIComponent(saleId)}/stats`);
  if (reply.status !== 200) throw refused(`stats of ${saleId}`, reply);
  return reply.body as Stats;
}

export async function saleAction(
  admin: AdminClient,
  saleId: string,
  action: 'start' | 'end' | 'archive',
): Promise<void> {
  const reply = await admin.call('POST', `/sales/${encodeURIComponent(saleId)}/${action}`);
  if (reply.status !== 200) throw refused(`${action} of ${saleId}`, reply);
}

/** A first call that says plainly when nothing listens at the URL. */
export async function checkReachable(admin: AdminClient, url: string): Promise<void> {
  try {
    const reply = await admin.call('GET', '/sales');
    if (reply.status === 401) throw refused('the admin API', reply);
  } catch (error) {
    if (error instanceof SimError) throw error;
    const code = (error as { code?: string }).code ?? String(error);
    throw new SimError(`nothing answers at ${url} (${code}): start the service first (npm start)`);
  }
}
