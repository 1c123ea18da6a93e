/** The capacity plan as text: what `flashsale capacity` prints (`--json` prints the Plan itself). */
import { MAX_POLL_AFTER_MS } from '../domain/queue.ts';
import {
  API_BACKGROUND_REDIS_PER_SECOND,
  type MeasuredFigures,
  PG_WRITES_PER_ORDER,
  type Plan,
  type Route,
} from './plan.ts';

const ROUTE_NAMES: Record<Route, string> = {
  challenge: 'POST /sales/:id/challenge',
  join: 'POST /sales/:id/queue (join)',
  poll: 'GET /sales/:id/queue (poll)',
  checkout: 'POST /sales/:id/checkout',
  orderRead: 'GET /orders/:id',
};

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const dec = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(head: string[], rows: string[][], right: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function describeFigures(figures: MeasuredFigures): string {
  const m = figures.machine;
  const dates = [...new Set(figures.sources.map((s) => s.at.slice(0, 10)))].join(', ');
  const load = figures.loadAverage === null ? '' : `, load average ${figures.loadAverage} at the http run`;
  return `measured by bench/ on ${dates}: ${m.cpuModel}, ${m.cpus} CPUs, ${m.memoryGiB} GiB, Node ${m.node}${load}`;
}

export function renderPlan(plan: Plan, figures: MeasuredFigures): string {
  const { input } = plan;
  const out: string[] = [];
  out.push(
    `capacity plan: ${int(input.rps)} requests/s, ${int(input.buyers)} buyers in line, ${int(input.stock)} units, headroom ${input.headroom}×`,
    describeFigures(figures),
    '',
    `peak load: the buyer model makes ${int(plan.modelledRps)} requests/s; sized for ${int(plan.sizedRps)} (each route scaled alike)`,
  );
  const total = plan.routes.reduce((sum, r) => sum + r.cores, 0);
  out.push(
    table(
      ['route', 'model req/s', 'sized req/s', 'API CPU µs', 'cores', 'CPU figure'],
      [
        ...plan.routes.map((r) => [
          ROUTE_NAMES[r.route],
          int(r.modelled),
          int(r.sized),
          int(r.cpuUs),
          dec(r.cores),
          r.source,
        ]),
        ['total', int(plan.modelledRps), int(plan.sizedRps), '', dec(total), ''],
      ],
      [false, true, true, true, true, false],
    ),
    '',
  );
  const { api, redis, workers, postgres } = plan;
  out.push(
    table(
      ['tier', 'need at 100 %', 'run', 'limited by'],
      [
        [
          'API processes',
          `${dec(api.cores)} cores`,
          int(api.processes),
          `CPU µs per request × ${input.headroom} (by the req/s one process reached here: ${int(api.byMeasuredRate)})`,
        ],
        [
          'Redis masters',
          `${dec(redis.saleShardLoad, 2)} core (the sale)`,
          int(redis.masters),
          `one part of a sale = one shard = one core (${int(redis.joinsPerCore)} joins/s, ${int(redis.reservesPerCore)} reserves/s): ` +
            (redis.saleShardFits
              ? `one part; joins ≤ ${int(Math.floor(redis.maxJoinsPerSecond))}/s with the headroom`
              : `${redis.parts} parts (parts: ${redis.parts}), ${dec(redis.partLoad, 2)} core each`),
        ],
        [
          'order workers',
          `${dec(workers.needed / input.headroom, 2)} worker`,
          int(workers.processes),
          `${int(figures.worker.ordersPerSecond)} orders persisted/s per worker; ${int(plan.ordersPerSecond)} orders/s at the peak`,
        ],
        [
          'PostgreSQL',
          `${int(postgres.writesPerSecond)} writes/s`,
          '1 primary',
          `${PG_WRITES_PER_ORDER} writes per order × ${int(postgres.ordersPerSecond)} orders/s; ${int(postgres.totalWrites)} writes for the ${int(plan.totalOrders)} orders`,
        ],
      ],
      [false, true, true, false],
    ),
    '',
    'assumptions (flags in `flashsale capacity --help`):',
    `- arrival: ${Math.round(input.prestartShare * 100)} % of the buyers over the ${input.leadSeconds} s before the start, the rest over ${input.rampSeconds} s after: peak ${int(plan.routes.find((r) => r.route === 'join')?.modelled ?? 0)} joins/s (${int(plan.peakJoinsPerSecond)} sized)`,
    `- per buyer: 1 challenge, 1 join, polls every pollAfterMs (1 s near the front of the line, ${MAX_POLL_AFTER_MS / 1000} s far back, at ${int(input.admitPerSecond)} admitted/s): ${int(plan.polls.waiting)} polls/s for the line`,
    `- admitted: ${int(input.maxActive)} shoppers polling every ${dec(input.heartbeatSeconds / 3)} s (heartbeat / 3): ${int(plan.polls.admitted)} polls/s`,
    `- checkout: ${Math.round(input.conversion * 100)} % of admitted buyers, ${input.unitsPerOrder} unit(s) per order, then ${input.orderReadsPerOrder} order reads; sold out after ~${int(plan.selloutSeconds)} s`,
    `- the sale page comes from a CDN (max-age=1); the load balancer is ${input.sticky ? '' : 'not '}sticky by user` +
      `${input.sticky ? ' (a poll costs no Redis call)' : ' (each poll counted as a Redis read)'}; each API process adds ${API_BACKGROUND_REDIS_PER_SECOND} Redis calls/s per part of a sale`,
  );
  if (plan.warnings.length > 0) out.push('', ...plan.warnings.map((w) => `warning: ${w}`));
  return out.join('\n');
}
