/**
 * Proof of work at join: what it costs the buyer and what it costs the service.
 *
 * - **Solve in Chromium:** the storefront's own Web Worker (src/web/public/powWorker.js) in Debian's
 *   Chromium (playwright-core), on challenges issued by the service's own code at the sale's default
 *   difficulty; the median and the 90th percentile of `--solves` solves, and hashes per second.
 * - **Verify:** `ProofOfWork.verify` on a valid solution (HMAC, JSON, one SHA-256), microseconds per
 *   call, against a bare SHA-256 of the same string as the baseline; issuing a challenge likewise.
 *
 * `npx tsx bench/pow.ts [--solves 21] [--difficulty 18] [--verifies 50000]`. Prints its table and
 * appends its rows to bench/results.jsonl.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { SALE_DEFAULTS } from '../src/domain/sale.ts';
import { ProofOfWork, solveChallenge } from '../src/http/pow.ts';
import { appendResults, printTable, type Row } from './lib.ts';

const { values } = parseArgs({
  options: {
    solves: { type: 'string', default: '21' },
    difficulty: { type: 'string', default: String(SALE_DEFAULTS.powDifficulty) },
    verifies: { type: 'string', default: '50000' },
  },
});
const solves = Number(values.solves);
const difficulty = Number(values.difficulty);
const verifies = Number(values.verifies);

const pow = new ProofOfWork(randomBytes(32).toString('base64url'), 300_000);
// Ids as long as a real sale's and a visitor's: the challenge has the length buyers get.
const issue = (i: number) =>
  pow.issue('demo-sneakers-2026', `v_${crypto.randomUUID()}-${i}`, difficulty, Date.now());

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

async function solveInChromium(): Promise<Row[]> {
  const worker = readFileSync(new URL('../src/web/public/powWorker.js', import.meta.url));
  const server = createServer((request, response) => {
    if (request.url === '/powWorker.js')
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(worker);
    else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>pow</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const times: number[] = [];
    let tries = 0;
    for (let i = 0; i < solves; i++) {
      const { challenge } = issue(i);
      const result = await page.evaluate(
        ({ challenge, difficulty }) =>
          new Promise<{ ms: number; tried: number; solution: string }>((resolve) => {
            const started = performance.now();
            const w = new Worker('/powWorker.js');
            w.onmessage = ({ data }) => {
              if (data.solution === undefined) return;
              w.terminate();
              resolve({ ms: performance.now() - started, tried: data.tried, solution: data.solution });
            };
            w.postMessage({ challenge, difficulty });
          }),
        { challenge, difficulty },
      );
      // The browser's answer must be one the service accepts.
      const bits = createHash('sha256').update(result.solution).digest();
      if (bits.readUInt32BE(0) >>> (32 - Math.min(32, difficulty)) !== 0) throw new Error('wrong solution');
      times.push(result.ms);
      tries += result.tried;
    }
    const sorted = [...times].sort((a, b) => a - b);
    const seconds = times.reduce((a, b) => a + b, 0) / 1000;
    const median = quantile(sorted, 0.5);
    return [
      {
        name: `Chromium Web Worker: solve at difficulty ${difficulty} (median of ${solves})`,
        ops: solves,
        seconds,
        perSecond: solves / seconds,
        note:
          `median ${(median / 1000).toFixed(3)} s, p90 ${(quantile(sorted, 0.9) / 1000).toFixed(3)} s, ` +
          `max ${((sorted.at(-1) ?? 0) / 1000).toFixed(3)} s; ${Math.round(tries / seconds).toLocaleString('en')} hashes/s`,
      },
    ];
  } finally {
    await browser.close();
    server.close();
  }
}

function timed(name: string, count: number, op: (i: number) => unknown): Row {
  const started = performance.now();
  for (let i = 0; i < count; i++) op(i);
  const seconds = (performance.now() - started) / 1000;
  return {
    name,
    ops: count,
    seconds,
    perSecond: count / seconds,
    note: `${((seconds * 1e6) / count).toFixed(2)} µs per call`,
  };
}

function verifyCost(): Row[] {
  const issued = pow.issue('demo-sneakers-2026', 'v_0f6a2c1e-8d4b-4c1a-9e7f-3b2a1c0d9e8f', 12, Date.now());
  const solution = solveChallenge(issued.challenge, issued.difficulty);
  const userId = 'v_0f6a2c1e-8d4b-4c1a-9e7f-3b2a1c0d9e8f';
  // Warm up the JIT before measuring.
  for (let i = 0; i < 2000; i++) pow.verify(solution, 'demo-sneakers-2026', userId, Date.now());
  const baseline = timed('baseline: one SHA-256 of the solution', verifies, () =>
    createHash('sha256').update(solution).digest(),
  );
  const verify = timed('service: verify a solution (HMAC + parse + SHA-256)', verifies, () =>
    pow.verify(solution, 'demo-sneakers-2026', userId, Date.now()),
  );
  const issueRow = timed('service: issue a challenge', verifies, (i) => issue(i));
  return [baseline, verify, issueRow].map((row) => ({ ...row, ratio: baseline.perSecond / row.perSecond }));
}

const rows = [...verifyCost(), ...(await solveInChromium())];
printTable(`proof of work (difficulty ${difficulty}); ratio: time per call against one bare SHA-256`, rows);
for (const row of rows) console.log(`- ${row.name}: ${row.note}`);
console.log(
  `load average at the end: ${os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(', ')}`,
);
await appendResults('pow', rows);
