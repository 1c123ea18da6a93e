/**
 * The HTTP request metrics, counted without prom-client on the request path:
 *   flashsale_http_requests_total{method,route,status}      counter
 *   flashsale_http_request_duration_seconds{method,route}   histogram
 * prom-client's Counter.inc and Histogram.observe check and hash their labels on every call, about
 * 5 µs of every request in a CPU profile of the status poll (bench/README.md). Here a request costs
 * two map reads and a few increments; the two families are written in the Prometheus text format
 * when /metrics is scraped, next to the registry's.
 */

interface Series {
  /** Answers by status code. */
  statuses: Map<number, number>;
  /** Answers per latency bucket, not cumulative; the last slot is beyond the highest bound. */
  buckets: number[];
  sum: number;
  count: number;
}

/** A label value as the text format spells it: backslash, double quote and line feed escaped. */
const labelValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class RequestMetrics {
  /** method → route pattern → series. */
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly requests: string;
  private readonly duration: string;

  constructor(
    prefix: string,
    /** Upper bounds of the latency buckets, in seconds, ascending. */
    private readonly bounds: readonly number[],
  ) {
    this.requests = `${prefix}http_requests_total`;
    this.duration = `${prefix}http_request_duration_seconds`;
  }

  record(method: string, route: string, status: number, seconds: number): void {
    let routes = this.series.get(method);
    if (routes === undefined) {
      routes = new Map();
      this.series.set(method, routes);
    }
    let series = routes.get(route);
    if (series === undefined) {
      series = { statuses: new Map(), buckets: new Array(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      routes.set(route, series);
    }
    series.statuses.set(status, (series.statuses.get(status) ?? 0) + 1);
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > (this.bounds[bucket] as number)) bucket++;
    series.buckets[bucket] = (series.buckets[bucket] ?? 0) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** Requests answered since the start, and how many of them were 4xx and 5xx (the admin summary). */
  totals(): { total: number; errors4xx: number; errors5xx: number } {
    const totals = { total: 0, errors4xx: 0, errors5xx: 0 };
    for (const routes of this.series.values()) {
      for (const { statuses } of routes.values()) {
        for (const [status, count] of statuses) {
          totals.total += count;
          if (status >= 500) totals.errors5xx += count;
          else if (status >= 400) totals.errors4xx += count;
        }
      }
    }
    return totals;
  }

  /** Both families in the text exposition format (version 0.0.4), each line ending with `\n`. */
  exposition(): string {
    const { requests, duration } = this;
    const counted = [
      `# HELP ${requests} HTTP requests answered, by method, route pattern and status code`,
      `# TYPE ${requests} counter`,
    ];
    const timed = [
      `# HELP ${duration} Time to answer an HTTP request, by method and route pattern`,
      `# TYPE ${duration} histogram`,
    ];
    for (const [method, routes] of this.series) {
      for (const [route, series] of routes) {
        const labels = `method="${labelValue(method)}",route="${labelValue(route)}"`;
        for (const [status, count] of series.statuses) {
          counted.push(`${requests}{${labels},status="${status}"} ${count}`);
        }
        let cumulative = 0;
        this.bounds.forEach((bound, i) => {
          cumulative += series.buckets[i] ?? 0;
          timed.push(`${duration}_bucket{le="${bound}",${labels}} ${cumulative}`);
        });
        timed.push(`${duration}_bucket{le="+Inf",${labels}} ${series.count}`);
        timed.push(`${duration}_sum{${labels}} ${series.sum}`);
        timed.push(`${duration}_count{${labels}} ${series.count}`);
      }
    }
    return `${counted.join('\n')}\n${timed.join('\n')}\n`;
  }
}
