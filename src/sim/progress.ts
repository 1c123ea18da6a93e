/**
 * The progress line on stderr: a bar redrawn in place on a terminal, plain lines every few seconds
 * otherwise (a CI log, a test's pipe).
 */
import type { Simulation } from './runner.ts';

const BAR = 24;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function progressLine(sim: Simulation, requestsPerSecond: number, bar: boolean): string {
  const n = sim.buyers.length;
  const share = n === 0 ? 1 : sim.done / n;
  const last = sim.samples.at(-1);
  const sold = last ? `sold ${int(last.stock.sold)}/${int(last.stock.total)}` : 'sold ?';
  const seconds = Math.floor(sim.now() / 1000);
  const filled = Math.round(share * BAR);
  const head = bar ? `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ` : 'simulate: ';
  return (
    `${head}${(share * 100).toFixed(0).padStart(3)}% ${int(sim.done)}/${int(n)} buyers done | ` +
    `in line ${int(sim.waiting)} | ${sold} | ${int(requestsPerSecond)} req/s | ` +
    `${int(sim.http.inFlight)} in flight | ${seconds}s`
  );
}

export function startProgress(sim: Simulation, stream: NodeJS.WriteStream = process.stderr): () => void {
  const tty = stream.isTTY === true;
  const everyMs = tty ? 250 : 5000;
  let lastRequests = 0;
  let lastAt = sim.now();
  const draw = () => {
    const now = sim.now();
    const rate = ((sim.http.requests - lastRequests) * 1000) / Math.max(1, now - lastAt);
    lastRequests = sim.http.requests;
    lastAt = now;
    const line = progressLine(sim, rate, tty);
    stream.write(tty ? `\r\x1b[2K${line.slice(0, (stream.columns ?? 160) - 1)}` : `${line}\n`);
  };
  const timer = setInterval(draw, everyMs);
  return () => {
    clearInterval(timer);
    draw();
    if (tty) stream.write('\n');
  };
}
