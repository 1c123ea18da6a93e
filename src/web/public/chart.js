// Live line charts drawn as inline SVG: no library, nothing fetched from elsewhere.
import { h } from './lib.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 300;
const H = 100;
/** Dark enough on white for 3:1 at least; each series also has its own dash pattern. */
const COLORS = ['#3b28cc', '#b4430a', '#047857', '#a21caf'];
const DASHES = ['', '6 3', '2 3', '9 3 2 3'];
const MIN_SPAN_MS = 10_000;
/** Past this many samples, every other older one is dropped: a day-long watch stays light. */
const MAX_SAMPLES = 1200;

const svg = (tag, attrs = {}) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
};

/** 0.8 → 1, 7 → 10, 230 → 250: a round top for the y axis. */
function niceMax(value) {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value) ?? 10;
  return step * magnitude;
}

/**
 * A chart of `names.length` series over the last `windowMs` (Infinity: everything pushed).
 * push(t, values) adds a sample, in time order even if it comes late; a null value is a gap (shown as
 * "–" in the legend). The SVG's data-points counts the samples with data.
 */
export function lineChart(title, names, { format = String, windowMs = 120_000 } = {}) {
  const samples = [];
  const plot = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': title,
    'data-points': 0,
  });
  for (const y of [0, 0.25, 0.5, 0.75])
    plot.append(svg('line', { x1: 0, x2: W, y1: y * H, y2: y * H, class: 'grid' }));
  const lines = names.map((_, i) =>
    svg('polyline', {
      fill: 'none',
      stroke: COLORS[i],
      'stroke-width': 2,
      'stroke-dasharray': DASHES[i],
      'vector-effect': 'non-scaling-stroke',
    }),
  );
  plot.append(...lines);
  const top = h('span', { class: 'axis' }, '1');
  const values = names.map(() => h('strong', {}, '–'));
  const legend = h(
    'ul',
    { class: 'legend' },
    names.map((name, i) => {
      const key = svg('svg', { viewBox: '0 0 20 4', class: 'key', 'aria-hidden': 'true' });
      key.append(
        svg('line', {
          x1: 0,
          x2: 20,
          y1: 2,
          y2: 2,
          stroke: COLORS[i],
          'stroke-width': 3,
          'stroke-dasharray': DASHES[i],
        }),
      );
      return h('li', {}, key, `${name} `, values[i]);
    }),
  );
  const el = h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, title),
    h('div', { class: 'plot' }, top, plot),
    legend,
  );

  function render() {
    const now = samples.at(-1)?.t ?? 0;
    while (samples.length > 0 && samples[0].t < now - windowMs) samples.shift();
    let max = 0;
    for (const s of samples) for (const v of s.values) if (v !== null && v > max) max = v;
    const yMax = niceMax(max);
    top.textContent = format(yMax);
    // The window grows with the data up to windowMs, so the first seconds already span the width.
    const span = Math.min(windowMs, Math.max(MIN_SPAN_MS, now - (samples[0]?.t ?? now)));
    const x = (t) => (W * (t - (now - span))) / span;
    const y = (v) => H - (H * v) / yMax;
    lines.forEach((line, i) => {
      const points = samples
        .filter((s) => s.values[i] !== null)
        .map((s) => `${x(s.t).toFixed(1)},${y(s.values[i]).toFixed(1)}`);
      line.setAttribute('points', points.join(' '));
    });
    const last = samples.at(-1)?.values ?? [];
    values.forEach((el, i) => {
      el.textContent = last[i] === null || last[i] === undefined ? '–' : format(last[i]);
    });
    plot.setAttribute('data-points', String(samples.filter((s) => s.values.some((v) => v !== null)).length));
    plot.setAttribute(
      'aria-label',
      `${title}: ${names.map((n, i) => `${n} ${values[i].textContent}`).join(', ')}`,
    );
  }

  return {
    el,
    push(t, vals) {
      const sample = { t, values: vals.map((v) => (Number.isFinite(v) ? v : null)) };
      // A sample from another clock (the server's history) may be later than the browser's first.
      let i = samples.length;
      while (i > 0 && samples[i - 1].t > t) i -= 1;
      samples.splice(i, 0, sample);
      if (samples.length > MAX_SAMPLES) {
        const half = samples.length >> 1;
        const older = samples.slice(0, half).filter((_, k) => k % 2 === 0);
        samples.splice(0, half, ...older);
      }
      render();
    },
  };
}
