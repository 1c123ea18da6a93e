/**
 * `flashsale simulate` as a real process: against a broken service it names the broken invariant and
 * exits 1; against `flashsale start` (embedded) a crowd of buyers sells the stock out with every
 * invariant holding, and the HTML report renders its charts in Chromium.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cli, runCli } from '../cli/child.ts';
import { hasChromium, launchBrowser } from '../support/browser.ts';
import { startStubService } from './stubService.ts';

const REPORTS = fileURLToPath(new URL('../../reports/', import.meta.url));
const ADMIN_KEY = 'simulate-test-admin-key';
const BUYERS = 10_000;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flashsale-sim-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('flashsale simulate against stand-ins for the service', () => {
  it('reports the broken invariants of a service that oversells, and exits 1', async () => {
    const service = await startStubService('oversell');
    try {
      const args = ['--buyers', '60', '--stock', '10', '--arrival', 'all', '--report', join(dir, 'broken')];
      const sim = runCli(['simulate', '--url', service.url, ...args], { FLASHSALE_ADMIN_KEY: ADMIN_KEY });
      const code = await sim.exited;
      expect(sim.output).toMatch(/FAIL {2}units sold ≤ stock/);
      expect(sim.output).toMatch(/FAIL {2}server audit: total = available \+ held \+ sold/);
      expect(sim.output).toMatch(/FAILED: these invariants do not hold: .*units sold ≤ stock/);
      expect(sim.output).toContain('stopped: every buyer finished');
      expect(code).toBe(1);
    } finally {
      await service.close();
    }
  });

  it('retries 429, 503 and reset connections, honoring Retry-After, with the same Idempotency-Key', async () => {
    const service = await startStubService('flaky');
    try {
      const args = ['--buyers', '40', '--stock', '30', '--arrival', 'all', '--start-after', '0'];
      const report = join(dir, 'flaky');
      const sim = runCli(['simulate', '--url', service.url, ...args, '--report', report], {
        FLASHSALE_ADMIN_KEY: ADMIN_KEY,
      });
      const code = await sim.exited;
      expect(sim.output, sim.output).toContain('PASSED: every invariant holds');
      expect(code).toBe(0);
      const json = JSON.parse(await readFile(`${report}.json`, 'utf8'));
      expect(json.requests.statuses['checkout 503']).toBeGreaterThan(0);
      expect(json.requests.statuses['poll 429']).toBeGreaterThan(0);
      expect(Object.keys(json.requests.statuses).some((k) => /^visitor [A-Z_]+$/.test(k))).toBe(true);
      expect(json.requests.retries).toBeGreaterThan(json.requests.statuses['checkout 503']);
      expect(json.stats.final.stock.sold).toBe(30);
      // Every checkout was retried after its 503 with the key it first sent, and made one order.
      expect([...service.tries.values()].every((n) => n >= 2)).toBe(true);
      expect(Math.max(...service.ordersPerKey.values())).toBe(1);
      // The sale it created is archived once the run is over.
      expect(service.adminActions.at(-1)).toMatch(/^POST \/api\/v1\/admin\/sales\/sim-\w+\/archive$/);
      expect(json.stop).toEqual({ reason: 'every buyer finished', firstFailure: null, hint: null });
    } finally {
      await service.close();
    }
  });

  it('says why a run stopped: the first failing call, its status and code, and a hint; archives its sale', async () => {
    const service = await startStubService('limited');
    try {
      const report = join(dir, 'limited');
      const args = ['--buyers', '20', '--stock', '10', '--arrival', 'all', '--start-after', '0'];
      const sim = runCli(['simulate', '--url', service.url, ...args, '--report', report], {
        FLASHSALE_ADMIN_KEY: ADMIN_KEY,
      });
      expect(await sim.exited).toBe(1);
      const json = JSON.parse(await readFile(`${report}.json`, 'utf8'));
      expect(json.stop.reason).toMatch(/^stopped early: could not start the sale: .*429 RATE_LIMITED/);
      expect(json.stop.firstFailure).toMatchObject({
        route: expect.stringMatching(/^admin start of sim-/),
        status: 429,
        code: 'RATE_LIMITED',
        message: 'Too many requests',
      });
      expect(json.stop.hint).toContain('FLASHSALE_RATE_LIMITS=off');
      expect(sim.output).toContain('hint: ');
      expect(sim.output).toContain('first failure: admin start of sim-');
      const html = await readFile(`${report}.html`, 'utf8');
      expect(html).toContain('FLASHSALE_RATE_LIMITS=off');
      expect(html).not.toContain('FAILED: an invariant does not hold');
      // The admin call was tried again before giving up, and the sale still got archived.
      expect(service.adminActions.filter((a) => a.endsWith('/start')).length).toBe(5);
      expect(service.adminActions.at(-1)).toMatch(/\/archive$/);
    } finally {
      await service.close();
    }
  });

  it('exits 2 on bad options, naming the option', async () => {
    const sim = runCli(['simulate', '--buyers', 'many'], { FLASHSALE_ADMIN_KEY: ADMIN_KEY });
    expect(await sim.exited).toBe(2);
    expect(sim.output).toContain('--buyers must be a number');
  });
});

describe('flashsale simulate against flashsale start', () => {
  let server: Cli | undefined;
  let report = '';
  afterAll(() => server?.kill());

  it(`${BUYERS.toLocaleString('en-US')} buyers: the stock sells out, every invariant holds, exit 0`, async () => {
    server = runCli(['start'], {
      PORT: '0',
      FLASHSALE_DATA_DIR: join(dir, 'pglite'),
      FLASHSALE_OUTBOX: join(dir, 'outbox.jsonl'),
      FLASHSALE_RATE_LIMITS: 'off',
      FLASHSALE_PAYMENT_LATENCY_MS: '0',
      FLASHSALE_ADMIN_KEY: ADMIN_KEY,
      // No load shedding in this run: a shedding server tells waiters to poll less often and refuses
      // polls, and buyers then learn of their turn in their retries' order, not in their join order.
      // With a threshold of 10 ms this run measured Spearman 0.33-0.57; CI, on a machine busy with
      // the other lane, once saw 0.69 at the default threshold. Shedding has its own test
      // (test/http/shedding.test.ts); this one checks the simulator and the waiting room's order.
      FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: '60000',
    });
    const [, api] = await server.waitFor(/API\s+(http:\/\/\S+)\/api\/v1/);
    report = join(dir, 'report');
    const args = [
      '--url',
      api as string,
      '--buyers',
      String(BUYERS),
      '--stock',
      '1000',
      '--per-second',
      '400',
    ];
    // Arrivals over 8 s: over 4 s, a CI run whose other lane was busy left the service so far behind
    // (the simulator's requests waited up to 3 s for a connection) that the crowd bought out of order
    // (Spearman 0.45, below).
    const sim = runCli(
      ['simulate', ...args, '--arrival', 'ramp', '--ramp-seconds', '8', '--report', report, '--seed', '7'],
      { FLASHSALE_ADMIN_KEY: ADMIN_KEY },
    );
    const code = await sim.exited;
    expect(sim.output, sim.output).toContain('PASSED: every invariant holds');
    expect(code).toBe(0);
    // Plain progress lines when stderr is not a terminal.
    expect(sim.output).toMatch(/simulate: +\d+% [\d,]+\/10,000 buyers done/);

    const json = JSON.parse(await readFile(`${report}.json`, 'utf8'));
    expect(json.ok).toBe(true);
    expect(json.invariants.length).toBe(10);
    expect(json.stats.final.stock).toEqual({ total: 1000, available: 0, held: 0, sold: 1000 });
    expect(json.outcomes.unfinished + json.outcomes.error).toBe(0);
    expect(json.outcomes.bought).toBeGreaterThan(300);
    expect(json.requests.byRoute.poll.count).toBeGreaterThan(0);
    expect(json.requests.statuses['poll 503'] ?? 0).toBe(0);
    // Buyers purchase in join order only as closely as they learn of their turn (their polls) and get
    // a connection (the simulator's 128), so this figure moves with the machine's load: 0.96-0.999 on
    // a 2-core machine quiet and with five busy loops beside it, but 0.70 in a CI run whose other lane
    // ran the outage suites on the same cores (and 0.69 once before, with shedding still on), and 0.45
    // once with arrivals over 4 s (0.998-0.999 over 8 s beside the durability and chaos suites). An
    // unordered line gives about 0. The waiting room's exact order is the engine suites' to assert
    // (tickets, positions, the property test's FIFO model); this bar says the crowd bought in roughly
    // its join order; a low figure fails with the run's summary (retries, scheduler lag, what limited
    // the run, 503s that reorder purchases), which explains it.
    expect(json.fairness.spearman, sim.output).toBeGreaterThan(0.5);
    expect(json.series.server.t.length).toBeGreaterThan(3);
    expect(json.stop.reason).toBe('every buyer finished');
    // The sale the run created is off the storefront, and still in the console.
    const created = await fetch(`${api}/api/v1/admin/sales/${json.sale.id}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(await created.json()).toMatchObject({ id: json.sale.id, archivedAt: expect.any(Number) });
  }, 120_000);

  it('buyers who give up leave the line, and the server waiting figure drops with them', async () => {
    const own = runCli(['start'], {
      PORT: '0',
      FLASHSALE_DATA_DIR: join(dir, 'pglite-departures'),
      FLASHSALE_OUTBOX: join(dir, 'outbox-departures.jsonl'),
      FLASHSALE_RATE_LIMITS: 'off',
      FLASHSALE_PAYMENT_LATENCY_MS: '0',
      FLASHSALE_ADMIN_KEY: ADMIN_KEY,
    });
    try {
      await departuresRun(own);
    } finally {
      own.kill();
    }
  }, 120_000);

  async function departuresRun(own: Cli) {
    const [, api] = await own.waitFor(/API\s+(http:\/\/\S+)\/api\/v1/);
    const departures = join(dir, 'departures');
    // The whole crowd joins at once, 12 s before the opening: nobody is admitted while 70% of them
    // give up after 0 to 4 polls (5 s apart before the start), each one leaving the line.
    const sim = runCli(
      [
        'simulate',
        ...['--url', api as string, '--buyers', '400', '--stock', '40', '--per-second', '50'],
        ...['--arrival', 'all', '--start-after', '12', '--abandon', '0.7', '--seed', '11'],
        ...['--report', departures],
      ],
      { FLASHSALE_ADMIN_KEY: ADMIN_KEY },
    );
    const code = await sim.exited;
    expect(sim.output, sim.output).toContain('PASSED: every invariant holds');
    expect(code).toBe(0);
    const json = JSON.parse(await readFile(`${departures}.json`, 'utf8'));
    expect(json.requests.byRoute.leave.count).toBeGreaterThan(100);
    const { waiting, admitted } = json.series.server as { waiting: number[]; admitted: number[] };
    // Joins only raise the figure and admissions are held still here: a fall is departures alone.
    const beforeAdmission = waiting.filter((_, i) => admitted[i] === 0);
    const peak = Math.max(...beforeAdmission);
    const afterPeak = beforeAdmission.slice(beforeAdmission.indexOf(peak));
    expect(Math.min(...afterPeak), JSON.stringify(beforeAdmission)).toBeLessThan(peak - 20);
    expect(await readFile(`${departures}.html`, 'utf8')).toContain(
      'waiting (server: in line, not admitted, not left)',
    );
  }

  describe.skipIf(!hasChromium())('its HTML report', () => {
    it('renders in Chromium with six charts, each with plotted marks; a screenshot goes to reports/', async () => {
      expect(report).not.toBe('');
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        page.on('request', (request) => {
          if (!request.url().startsWith('file:')) errors.push(`fetched ${request.url()}`);
        });
        await page.goto(`file://${report}.html`);
        expect(await page.locator('svg.chart').count()).toBe(6);
        for (const kind of ['line', 'bars', 'scatter']) {
          expect(await page.locator(`svg.chart[data-kind="${kind}"]`).count()).toBeGreaterThan(0);
        }
        const marks = await page.$$eval('svg.chart', (charts) =>
          charts.map((c) => ({
            title: c.querySelector('.title')?.textContent ?? '',
            marks: c.querySelectorAll('.mark').length,
            drawn: [...c.querySelectorAll('path.mark')].every((p) => (p.getAttribute('d') ?? '').length > 10),
            height: c.getBoundingClientRect().height,
          })),
        );
        expect(marks.map((m) => m.title)).toEqual([
          'Waiting queue over time',
          'Admissions per second',
          'Sales per second',
          'Requests per second by route',
          'Latency by route: p50, p95, p99 (ms, log scale)',
          // A rank correlation, from -1 to 1 (whether it is high enough is the invariants' job).
          expect.stringMatching(/^Fairness: join order vs purchase order \(Spearman -?[01](\.\d+)?\)$/),
        ]);
        for (const m of marks) {
          expect(m.marks, m.title).toBeGreaterThan(0);
          expect(m.drawn, m.title).toBe(true);
          expect(m.height).toBeGreaterThan(100);
        }
        // Six routes (visitor, join, poll, leave, checkout, order) × p50/p95/p99, and a point per
        // sampled purchaser.
        expect(marks[4]?.marks).toBe(18);
        expect(marks[5]?.marks).toBeGreaterThan(300);
        expect(await page.locator('.verdict.pass').textContent()).toContain('PASSED');
        expect(await page.locator('table.checks td.ok').count()).toBe(10);
        expect(errors).toEqual([]);
        await mkdir(REPORTS, { recursive: true });
        await page.screenshot({ path: join(REPORTS, 'simulate-report.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    });
  });
});
