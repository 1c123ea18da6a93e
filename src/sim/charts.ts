/**
 * Self-contained SVG charts (no library, nothing fetched): lines over time, grouped bars on a log
 * scale, and a scatter. Each is one <svg class="chart"> with its plotted marks classed `mark`.
 */
export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777'];

const W = 760;
const H = 280;
const M = { left: 64, right: 16, top: 50, bottom: 44 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (v: number) =>
  Math.abs(v) >= 1e6
    ? `${+(v / 1e6).toFixed(1)}M`
    : Math.abs(v) >= 1e4
      ? `${+(v / 1e3).toFixed(1)}k`
      : `${+v.toFixed(Math.abs(v) < 10 && v % 1 !== 0 ? 2 : 0)}`;

/** About `count` round tick values, from one at or below min to one at or above max. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  const last = Math.ceil(max / step - 1e-9) * step;
  for (let v = Math.floor(min / step + 1e-9) * step; v <= last + step * 1e-9; v += step) {
    ticks.push(+v.toPrecision(12));
  }
  return ticks;
}

function frame(title: string, kind: string, body: string, xLabel: string, yLabel: string): string {
  return (
    `<svg class="chart" data-kind="${kind}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ` +
    `role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<text class="title" x="${M.left}" y="20">${esc(title)}</text>${body}` +
    `<text class="axis-label" x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text class="axis-label" transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text></svg>`
  );
}

interface Scale {
  (v: number): number;
  ticks: number[];
}

function linear(min: number, max: number, from: number, to: number): Scale {
  const ticks = niceTicks(min, max);
  const lo = Math.min(min, ticks[0] ?? min);
  const hi = Math.max(max, ticks.at(-1) ?? max, lo + 1e-9);
  const s = ((v: number) => from + ((v - lo) / (hi - lo)) * (to - from)) as Scale;
  s.ticks = ticks;
  return s;
}

function log(min: number, max: number, from: number, to: number): Scale {
  const lo = 10 ** Math.floor(Math.log10(Math.max(min, 1e-3)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(max, lo * 10)));
  const s = ((v: number) =>
    from +
    ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) *
      (to - from)) as Scale;
  s.ticks = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) s.ticks.push(v);
  return s;
}

function axes(x: Scale | null, y: Scale): string {
  let out = `<g class="axes">`;
  for (const t of y.ticks) {
    const py = y(t).toFixed(1);
    out += `<line class="grid" x1="${M.left}" x2="${M.left + PW}" y1="${py}" y2="${py}"/>`;
    out += `<text x="${M.left - 6}" y="${py}" dy="0.32em" text-anchor="end">${fmt(t)}</text>`;
  }
  if (x) {
    for (const t of x.ticks) {
      const px = x(t).toFixed(1);
      out += `<line class="tick" x1="${px}" x2="${px}" y1="${M.top + PH}" y2="${M.top + PH + 4}"/>`;
      out += `<text x="${px}" y="${M.top + PH + 16}" text-anchor="middle">${fmt(t)}</text>`;
    }
  }
  return (
    `${out}<line class="axis" x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}"/>` +
    `<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}"/></g>`
  );
}

function legend(names: string[]): string {
  let x = M.left;
  return names
    .map((name, i) => {
      const item = `<g class="legend"><rect x="${x}" y="28" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 14}" y="37">${esc(name)}</text></g>`;
      x += 24 + name.length * 6.5;
      return item;
    })
    .join('');
}

const empty = (title: string, kind: string) =>
  frame(title, kind, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>`, '', '');

export interface LineSeries {
  name: string;
  points: Array<[number, number]>;
}

export function lineChart(title: string, series: LineSeries[], xLabel: string, yLabel: string): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return empty(title, 'line');
  const x = linear(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])), M.left, M.left + PW);
  const y = linear(0, Math.max(1, ...all.map((p) => p[1])), M.top + PH, M.top);
  const paths = series
    .map((s, i) => {
      const d = s.points
        .map((p, k) => `${k ? 'L' : 'M'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`)
        .join('');
      return `<path class="mark series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.6"><title>${esc(s.name)}</title></path>`;
    })
    .join('');
  return frame(title, 'line', axes(x, y) + paths + legend(series.map((s) => s.name)), xLabel, yLabel);
}

export interface BarGroup {
  label: string;
  values: number[];
}

/** Grouped bars on a log scale (latencies span orders of magnitude). */
export function barChart(title: string, names: string[], groups: BarGroup[], yLabel: string): string {
  const values = groups.flatMap((g) => g.values).filter((v) => v > 0);
  if (values.length === 0) return empty(title, 'bars');
  const y = log(Math.min(...values), Math.max(...values), M.top + PH, M.top);
  const slot = PW / groups.length;
  const bw = Math.min(28, (slot * 0.8) / names.length);
  let body = axes(null, y);
  groups.forEach((g, gi) => {
    const x0 = M.left + gi * slot + (slot - bw * names.length) / 2;
    g.values.forEach((v, vi) => {
      const top = y(Math.max(v, y.ticks[0] ?? 0));
      body += `<rect class="mark bar" x="${(x0 + vi * bw).toFixed(1)}" y="${top.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(M.top + PH - top).toFixed(1)}" fill="${PALETTE[vi % PALETTE.length]}"><title>${esc(`${g.label} ${names[vi]}: ${v} ms`)}</title></rect>`;
    });
    body += `<text x="${(M.left + gi * slot + slot / 2).toFixed(1)}" y="${M.top + PH + 16}" text-anchor="middle">${esc(g.label)}</text>`;
  });
  return frame(title, 'bars', body + legend(names), '', yLabel);
}

export function scatterChart(
  title: string,
  points: Array<[number, number]>,
  xLabel: string,
  yLabel: string,
): string {
  if (points.length === 0) return empty(title, 'scatter');
  const max = Math.max(...points.map((p) => Math.max(p[0], p[1])));
  const x = linear(0, max, M.left, M.left + PW);
  const y = linear(0, max, M.top + PH, M.top);
  const diagonal = `<line class="diagonal" x1="${x(0)}" y1="${y(0)}" x2="${x(max)}" y2="${y(max)}"/>`;
  const dots = points
    .map((p) => `<circle class="mark point" cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="1.8"/>`)
    .join('');
  return frame(title, 'scatter', axes(x, y) + diagonal + dots, xLabel, yLabel);
}
