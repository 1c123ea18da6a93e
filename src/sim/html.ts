/** The report as one self-contained HTML page: inline CSS, SVG charts and the report's JSON. */
import { barChart, esc, type LineSeries, lineChart, scatterChart } from './charts.ts';
import { ROUTES } from './http.ts';
import { type SimReport, stopLines, verdict } from './report.ts';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Per-second rate between consecutive samples of a cumulative counter, placed at the later sample. */
export function rates(t: readonly number[], values: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 1; i < t.length; i++) {
    const dt = (t[i] as number) - (t[i - 1] as number);
    if (dt > 0)
      out.push([t[i] as number, Math.max(0, ((values[i] as number) - (values[i - 1] as number)) / dt)]);
  }
  return out;
}

const perSecond = (values: readonly number[] | undefined): Array<[number, number]> =>
  (values ?? []).map((v, i) => [i + 1, v]);
const zip = (t: readonly number[], v: readonly number[]): Array<[number, number]> =>
  t.map((x, i) => [x, v[i] as number]);

export function charts(r: SimReport): string[] {
  const s = r.series.server;
  const c = r.series.client;
  const line = (name: string, points: Array<[number, number]>): LineSeries => ({ name, points });
  return [
    lineChart(
      'Waiting queue over time',
      [
        line('waiting (server: in line, not admitted, not left)', zip(s.t, s.waiting)),
        line('in line (buyers still polling)', r.series.inLine),
        line('active shoppers (server)', zip(s.t, s.active)),
      ],
      'seconds since the run began',
      'buyers',
    ),
    lineChart(
      'Admissions per second',
      [
        line('admitted/s (server)', rates(s.t, s.admitted)),
        line('admissions seen/s (buyers)', perSecond(c.admitted)),
      ],
      'seconds since the run began',
      'buyers per second',
    ),
    lineChart(
      'Sales per second',
      [
        line('units sold/s (server)', rates(s.t, s.sold)),
        line('checkouts accepted/s', perSecond(c.checkouts)),
        line('units confirmed/s (orders read)', perSecond(c['units confirmed'])),
      ],
      'seconds since the run began',
      'per second',
    ),
    lineChart(
      'Requests per second by route',
      ROUTES.filter((route) => c[route] !== undefined).map((route) => line(route, perSecond(c[route]))),
      'seconds since the run began',
      'requests per second',
    ),
    barChart(
      'Latency by route: p50, p95, p99 (ms, log scale)',
      ['p50', 'p95', 'p99'],
      ROUTES.filter((route) => r.requests.byRoute[route].count > 0).map((route) => {
        const p = r.requests.byRoute[route];
        return { label: route, values: [p.p50, p.p95, p.p99] };
      }),
      'milliseconds',
    ),
    scatterChart(
      `Fairness: join order vs purchase order (Spearman ${r.fairness.spearman ?? 'n/a'})`,
      r.fairness.points,
      'join rank among purchasers',
      'purchase rank',
    ),
  ];
}

function table(head: string[], rows: Array<Array<string | number>>, cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const trs = rows.map((row) => `<tr>${row.map((v) => `<td>${esc(String(v))}</td>`).join('')}</tr>`).join('');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#111827;background:#f8fafc}
main{max-width:1600px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.verdict{display:inline-block;padding:4px 10px;border-radius:6px;font-weight:600;color:#fff}
.pass{background:#16a34a}.fail{background:#dc2626}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:20px}.card span{color:#6b7280;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(760px,1fr));gap:14px}
svg.chart{background:#fff;border:1px solid #e5e7eb;border-radius:8px;max-width:100%;height:auto}
svg .title{font-weight:600;font-size:14px}svg text{font-size:11px;fill:#374151}
svg .grid{stroke:#eef0f3}svg .axis,svg .tick{stroke:#9ca3af}svg .diagonal{stroke:#9ca3af;stroke-dasharray:4 3}
svg .point{fill:#2563eb;fill-opacity:.55}
table{border-collapse:collapse;background:#fff;margin:6px 0}td,th{border:1px solid #e5e7eb;padding:4px 10px;text-align:right}
th{background:#f1f5f9}td:first-child,th:first-child{text-align:left}
table.checks td{text-align:left}.ok{color:#16a34a;font-weight:600}.bad{color:#dc2626;font-weight:600}
ul.stop{background:#fff;border:1px solid #e5e7eb;padding:8px 8px 8px 28px;margin:8px 0}
details pre{background:#fff;border:1px solid #e5e7eb;padding:10px;max-height:400px;overflow:auto;font-size:12px}`;

const pct = (n: number | null) => (n === null ? 'n/a' : `${(n * 100).toFixed(1)} %`);

/** The bot crowd's section: who got the stock, and the bots' refusals by route and code. */
export function whoGotTheStock(r: Pick<SimReport, 'bots' | 'stock'>): string {
  const b = r.bots;
  if (b === null) return '';
  const s = r.stock;
  return `<h2>Who got the stock: buyers and bots</h2>
<p>${int(b.identities)} scripted identities from one client (${esc(b.sourceAddress ?? 'the system address')}):
 ${int(b.minted)} minted, ${int(b.skipped)} skipped the challenge, ${int(b.joined)} joined, ${int(b.admitted)} admitted.
 A fair lottery among the identities that joined would give the buyers ${pct(s.lotteryShare)} of admissions.</p>
${table(
  ['', 'buyers', 'bots', 'buyers’ share'],
  [
    ['admissions', int(s.admissions.buyers), int(s.admissions.bots), pct(s.buyersShareOfAdmissions)],
    ['units confirmed', int(s.units.buyers), int(s.units.bots), pct(s.buyersShareOfUnits)],
  ],
)}
${table(
  ['bot refusals (route and code)', 'count'],
  Object.entries(b.refusals).map(([k, v]) => [k, int(v)]),
)}
${table(
  ['how the bot identities ended', 'identities'],
  Object.entries(b.ended).map(([k, v]) => [k, int(v)]),
)}`;
}

export function renderHtml(r: SimReport): string {
  const fin = r.stats.final;
  const cards: Array<[string, string]> = [
    ['buyers', int(r.options.buyers)],
    ['duration', `${r.durationSeconds.toFixed(1)} s`],
    ['requests', int(r.requests.total)],
    ['requests/s', int(r.requests.perSecond)],
    ['units sold', fin ? `${int(fin.stock.sold)} / ${int(fin.stock.total)}` : '?'],
    ['orders confirmed', int(fin?.orders.confirmed ?? 0)],
    ['bought', int(r.outcomes.bought)],
    ['fairness (Spearman)', String(r.fairness.spearman ?? 'n/a')],
  ];
  const checks = r.invariants
    .map(
      (c) =>
        `<tr><td class="${c.ok ? 'ok' : 'bad'}">${c.ok ? 'ok' : 'FAIL'}</td><td>${esc(c.name)}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('');
  const latency = ROUTES.map((route) => {
    const p = r.requests.byRoute[route];
    return [route, int(p.count), p.mean, p.p50, p.p95, p.p99, p.max];
  });
  const sale = r.sale;
  const json = JSON.stringify(r).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>flashsale simulate — ${esc(sale.id)}</title><style>${CSS}</style></head>
<body><main>
<h1>Flash sale simulation: ${int(r.options.buyers)} buyers, ${int(sale.totalStock)} units</h1>
<p><span class="verdict ${r.ok ? 'pass' : 'fail'}">${esc(verdict(r))}</span>
 sale <code>${esc(sale.id)}</code> on ${esc(r.target)} · ${esc(r.startedAt)} · arrival ${esc(r.options.arrival)} ·
 ${sale.perUserLimit} per buyer · ${sale.admission.perSecond} admitted/s · ${esc(sale.queueing)} pre-queue · seed ${r.options.seed}</p>
<ul class="stop">${stopLines(r.stop)
    .map((l) => `<li>${esc(l)}</li>`)
    .join('')}</ul>
<div class="cards">${cards.map(([k, v]) => `<div class="card"><b>${esc(v)}</b><span>${esc(k)}</span></div>`).join('')}</div>
<h2>Invariants</h2>
<table class="checks"><thead><tr><th></th><th>invariant</th><th>detail</th></tr></thead><tbody>${checks}</tbody></table>
<h2>Charts</h2>
<div class="grid">${charts(r).join('\n')}</div>
<h2>Latency by route (ms, from sending to the whole answer)</h2>
${table(['route', 'requests', 'mean', 'p50', 'p95', 'p99', 'max'], latency)}
<p>Scheduler lag (due → sent): p50 ${r.schedulerLag.p50} ms, p99 ${r.schedulerLag.p99} ms, max ${r.schedulerLag.max} ms.
 Simulator: ${r.simulator.cpuSeconds} s CPU, event loop ${Math.round(r.simulator.eventLoopUtilization * 100)} % busy, ${r.simulator.maxRssMiB} MiB RSS.
 Limited by ${esc(r.limitedBy)}.</p>
<h2>Buyers</h2>
${table(
  ['outcome', 'buyers'],
  Object.entries(r.outcomes).map(([k, v]) => [k, int(v)]),
)}
<p>Fairness among purchasers who joined before the start: Spearman ${r.fairness.prestart.spearman ?? 'n/a'}
 (${int(r.fairness.prestart.purchasers)}); after the start: ${r.fairness.afterStart.spearman ?? 'n/a'} (${int(r.fairness.afterStart.purchasers)}).
 Mean rank displacement: ${r.fairness.meanDisplacement ?? 'n/a'} of the purchasers.</p>
${whoGotTheStock(r)}
<h2>Answers</h2>
${table(
  ['route and status', 'count'],
  Object.entries(r.requests.statuses).map(([k, v]) => [k, int(v)]),
)}
${
  Object.keys(r.counts).length
    ? table(
        ['event', 'count'],
        Object.entries(r.counts).map(([k, v]) => [k, int(v)]),
      )
    : ''
}
<details><summary>Report JSON</summary><pre id="json"></pre></details>
<script type="application/json" id="report-data">${json}</script>
<script>
const data = JSON.parse(document.getElementById('report-data').textContent);
document.getElementById('json').textContent = JSON.stringify(data, null, 2);
document.title += data.ok ? ' — passed' : ' — FAILED';
</script>
</main></body></html>
`;
}
