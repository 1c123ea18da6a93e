/**
 * `flashsale simulate --bots` against `flashsale start` with its rate limits and proof of work on: the
 * buyers arrive with the shop's user tokens (one IP for all of them, so the per-IP request limit is
 * raised, as a rehearsal must), the bot from an address of its own mints visitors, half of them
 * skipping the challenge. The report says who got the stock and what refused the bots.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cli, runCli } from '../cli/child.ts';

const ADMIN_KEY = 'simulate-bots-admin-key';
const USER_SECRET = 'simulate-bots-user-secret-0123';
const VISITORS_PER_MINUTE = 60;

let dir = '';
let server: Cli | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flashsale-sim-bots-'));
});
afterAll(async () => {
  server?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('flashsale simulate --bots against flashsale start', () => {
  it('adds a bot crowd from its own address; the report shows who got the stock and the bots’ refusals', async () => {
    server = runCli(['start'], {
      PORT: '0',
      FLASHSALE_DATA_DIR: join(dir, 'pglite'),
      FLASHSALE_OUTBOX: join(dir, 'outbox.jsonl'),
      FLASHSALE_PAYMENT_LATENCY_MS: '0',
      FLASHSALE_ADMIN_KEY: ADMIN_KEY,
      FLASHSALE_USER_SECRET: USER_SECRET,
      FLASHSALE_RATE_LIMIT_IP_PER_MINUTE: '100000',
      FLASHSALE_RATE_LIMIT_VISITORS_PER_IP_PER_MINUTE: String(VISITORS_PER_MINUTE),
    });
    const [, api] = await server.waitFor(/API\s+(http:\/\/\S+)\/api\/v1/);
    const report = join(dir, 'bots');
    const args = ['--url', api as string, '--user-secret', USER_SECRET, '--buyers', '300', '--stock', '100'];
    const sim = runCli(
      [
        'simulate',
        ...args,
        ...['--limit', '1', '--arrival', 'all', '--start-after', '0', '--per-second', '50'],
        ...['--bots', '200', '--bot-skip', '0.5', '--report', report, '--seed', '11'],
      ],
      { FLASHSALE_ADMIN_KEY: ADMIN_KEY },
    );
    const code = await sim.exited;
    expect(sim.output, sim.output).toContain('PASSED: every invariant holds');
    expect(code).toBe(0);
    expect(sim.output).toMatch(/bots: 200 identities from 127\.0\.0\.2: minted \d+/);
    expect(sim.output).toMatch(/who got the stock: admissions buyers \d+ \/ bots \d+/);

    const json = JSON.parse(await readFile(`${report}.json`, 'utf8'));
    const bots = json.bots;
    expect(json.sale.powDifficulty).toBe(10);
    expect(bots.identities).toBe(200);
    expect(bots.sourceAddress).toBe('127.0.0.2');
    // One IP mints at most the visitor limit; the rest are refused and waited out until the run ends.
    expect(bots.minted).toBeGreaterThan(0);
    expect(bots.minted).toBeLessThanOrEqual(VISITORS_PER_MINUTE);
    expect(bots.refusals['visitor RATE_LIMITED']).toBeGreaterThanOrEqual(200 - bots.minted);
    // Those that skip the challenge are refused at the door, every one of them.
    expect(bots.skipped).toBeGreaterThan(0);
    expect(bots.refusals['join POW_REQUIRED']).toBe(bots.skipped);
    expect(bots.ended['join POW_REQUIRED']).toBe(bots.skipped);
    expect(bots.joined).toBe(bots.minted - bots.skipped);
    expect(bots.admitted).toBeLessThanOrEqual(bots.joined);
    // Who got the stock: every unit sold is a buyer's or a bot's.
    const stock = json.stock;
    expect(stock.units.buyers + stock.units.bots).toBe(100);
    expect(json.stats.final.stock.sold).toBe(100);
    expect(stock.units.bots).toBe(bots.units);
    expect(stock.admissions.bots).toBe(bots.admitted);
    expect(stock.buyersShareOfUnits).toBeCloseTo(stock.units.buyers / 100, 4);
    expect(stock.lotteryShare).toBeGreaterThan(0);
    // The buyers solved the sale's challenge before joining.
    expect(json.counts['challenges solved']).toBeGreaterThanOrEqual(300);
    expect(json.requests.statuses['join 428'] ?? 0).toBe(0);

    const html = await readFile(`${report}.html`, 'utf8');
    expect(html).toContain('Who got the stock: buyers and bots');
    expect(html).toContain('join POW_REQUIRED');
  }, 180_000);
});
