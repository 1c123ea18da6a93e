/**
 * The Prometheus metrics of one app, in a registry of its own (never prom-client's global one, so
 * several apps in one process — tests — do not clash), plus the in-process request figures behind
 * the admin console's summary. Process metrics (CPU, memory, event loop, GC) are the process's, not
 * an app's: one registry for them per process, appended to every app's exposition.
 *
 * Names (every one prefixed `flashsale_`, see monitoring/README.md):
 *   http_requests_total{method,route,status}        counter; route is the pattern, not the raw URL
 *   http_request_duration_seconds{method,route}     histogram
 *   sale_waiting / sale_admitted / sale_active{sale} gauges, read from the engine at scrape time
 *   sale_stock{sale,state=available|held|sold}       gauge;  sale_stock_total{sale}
 *   sale_state{sale,state}                           1 for the sale's current state, 0 for the others
 *   orders{sale,status}                              gauge, from PostgreSQL
 *   db_oversell_refusals{sale}                       gauge, refusals PostgreSQL recorded (every process)
 *   oversell_refused_total{sale}                     counter, refusals seen by this process's worker
 *   queue_jobs{queue,state}                          gauge, waiting/delayed/active/completed/failed
 *   reconciler_actions{action}                       gauge, actions every worker's reconciler took (database)
 *   metrics_source_up{source}                        1 when the scrape-time read of a source succeeded
 *   metrics_collect_duration_seconds                 how long the scrape-time reads took
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { LatencyWindow } from './latencyWindow.ts';
import { RequestMetrics } from './requestMetrics.ts';

export const PREFIX = 'flashsale_';

/** Seconds; from a cached read (~1 ms) to a request stuck behind an unavailable service. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | null = null;

/** Process metrics, collected once per process (prom-client's default set, standard names). */
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class AppMetrics {
  readonly registry = new Registry();
  readonly latency = new LatencyWindow();

  private readonly gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: PREFIX + name, help, labelNames, registers: [this.registry] });

  /** http_requests_total and http_request_duration_seconds, counted apart from the registry. */
  readonly http = new RequestMetrics(PREFIX, LATENCY_BUCKETS);
  readonly oversellRefused = new Counter({
    name: `${PREFIX}oversell_refused_total`,
    help: "Confirmations PostgreSQL refused as an oversell, seen by this process's order worker",
    labelNames: ['sale'] as const,
    registers: [this.registry],
  });

  readonly waiting = this.gauge('sale_waiting', 'Joined the waiting room and not yet admitted', ['sale']);
  readonly admitted = this.gauge('sale_admitted', 'Admitted since the sale began (the serving counter)', [
    'sale',
  ]);
  readonly active = this.gauge('sale_active', 'Admitted shoppers whose session runs, not checked out', [
    'sale',
  ]);
  readonly stock = this.gauge('sale_stock', 'Units by state: available, held (reserved) or sold', [
    'sale',
    'state',
  ]);
  readonly stockTotal = this.gauge('sale_stock_total', 'Units for sale (available + held + sold)', ['sale']);
  readonly saleState = this.gauge('sale_state', "1 for the sale's current state, 0 for the others", [
    'sale',
    'state',
  ]);
  readonly orders = this.gauge('orders', 'Orders in the database by status', ['sale', 'status']);
  readonly dbOversell = this.gauge(
    'db_oversell_refusals',
    'Confirmations PostgreSQL refused beyond the total stock (recorded in the database: every process)',
    ['sale'],
  );
  readonly jobs = this.gauge('queue_jobs', 'Jobs by queue and state', ['queue', 'state']);
  readonly reconcilerActions = this.gauge(
    'reconciler_actions',
    "Actions the workers' reconcilers took (finished, requeued, refunded), recorded in the database",
    ['action'],
  );
  readonly sourceUp = this.gauge(
    'metrics_source_up',
    'Whether the last scrape read this source in time (catalog, engine, database, queues)',
    ['source'],
  );
  readonly collectSeconds = this.gauge(
    'metrics_collect_duration_seconds',
    'Time the last scrape took to read the engine, the database and the queues',
    [],
  );

  constructor() {
    // Started with the first app, so the first scrape already has event-loop and GC figures.
    processMetrics();
  }

  /** Counts one answered request in the counters and histogram, and the summary's latency window. */
  observeRequest(method: string, route: string, status: number, ms: number): void {
    this.http.record(method, route, status, ms / 1000);
    this.latency.record(ms);
  }

  /** Since this app's monitoring started: the admin summary's cumulative figures. */
  get requests(): { total: number; errors4xx: number; errors5xx: number } {
    return this.http.totals();
  }

  /** The exposition: this app's request metrics and registry, then the process's metrics. */
  async exposition(): Promise<string> {
    return this.http.exposition() + (await this.registry.metrics()) + (await processMetrics().metrics());
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const byApp = new WeakMap<object, AppMetrics>();

/**
 * The metrics of an app, created on first use. The HTTP layer and the order worker of one process
 * share them: the worker's oversell hook counts into the registry that /metrics exposes.
 */
export function metricsOf(app: object): AppMetrics {
  let metrics = byApp.get(app);
  if (metrics === undefined) {
    metrics = new AppMetrics();
    byApp.set(app, metrics);
  }
  return metrics;
}
