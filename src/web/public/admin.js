// The admin console: sign in with the admin key, create and steer sales, watch one live.
import { lineChart } from './chart.js';
import { $, api, focusHeading, h, number, setText, timeOf } from './lib.js';

const KEY = 'flashsale.adminKey';
const SAMPLE_MS = 1000;
const LIST_MS = 3000;
const METRICS_RECHECK_MS = 15_000;
const STATE_TEXT = {
  scheduled: 'Upcoming',
  prequeue: 'Waiting room open',
  live: 'Live',
  paused: 'Paused',
  sold_out: 'Sold out',
  ended: 'Ended',
};
const ACTIONS = {
  start: ['Start now', (s) => s.state === 'scheduled' || s.state === 'prequeue'],
  pause: ['Pause', (s) => s.state === 'live'],
  resume: ['Resume', (s) => s.state === 'paused'],
  end: ['End', (s) => s.loaded && s.state !== 'ended'],
  archive: ['Archive', (s) => s.archivedAt === undefined],
};
/** A closed sale's waiting room is over: its line and shoppers are shown as gone, not as stuck. */
const CLOSED_STATES = ['sold_out', 'ended'];

let adminKey = sessionStorage.getItem(KEY);
let sales = [];
let listTimer = 0;
let dash = null;

const call = (method, path, body) => api(method, `/api/v1/admin${path}`, { token: adminKey, body });
const sid = (id) => encodeURIComponent(id);

function notice(text) {
  const el = $('#admin-notice');
  setText(el, text ?? '');
  el.hidden = !text;
}

// ---- signing in

async function signIn(event) {
  event.preventDefault();
  const error = $('#signin-error');
  adminKey = event.currentTarget.elements.key.value.trim();
  const res = await call('GET', '/sales');
  if (res.status === 200) {
    sessionStorage.setItem(KEY, adminKey);
    error.hidden = true;
    return enter(res.data.sales, true);
  }
  adminKey = null;
  error.textContent = res.status === 401 ? 'That is not the admin key.' : res.error.message;
  error.hidden = false;
}

function enter(list, focus) {
  $('#signin').hidden = true;
  $('#console').hidden = false;
  renderSales(list);
  if (focus) focusHeading($('#console'));
  clearInterval(listTimer);
  listTimer = setInterval(refreshSales, LIST_MS);
  const wanted = decodeURIComponent(location.hash.match(/^#sale=(.+)$/)?.[1] ?? '');
  if (wanted && dash?.id !== wanted) watch(wanted, false);
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  adminKey = null;
  clearInterval(listTimer);
  stopWatching();
  $('#console').hidden = true;
  $('#signin').hidden = false;
  const error = $('#signin-error');
  error.textContent = message ?? '';
  error.hidden = !message;
  focusHeading($('#signin'));
}

/** A refused key ends the session; anything else is shown. Answers true when the call worked. */
function handled(res) {
  if (res.status === 401) signOut('The admin key was refused: sign in again.');
  else if (res.error) notice(res.error.message);
  return res.error === null;
}

// ---- the list of sales and the actions

async function refreshSales() {
  const res = await call('GET', '/sales');
  if (res.status === 200) renderSales(res.data.sales);
  else if (res.status === 401) handled(res);
}

function actionButtons(sale) {
  return Object.entries(ACTIONS)
    .filter(([, [, allowed]]) => allowed(sale))
    .map(([action, [label]]) =>
      h(
        'button',
        {
          type: 'button',
          'data-action': action,
          'aria-label': `${label}: ${sale.name}`,
          onclick: () => act(sale, action),
        },
        label,
      ),
    );
}

function renderSales(list) {
  sales = list;
  $('#no-sales').hidden = list.length > 0;
  const rows = list.map((s) =>
    h(
      'tr',
      { 'data-sale': s.id },
      h('td', {}, h('a', { href: `/sales/${sid(s.id)}` }, s.name), h('div', { class: 'muted mono' }, s.id)),
      h(
        'td',
        {},
        h(
          'span',
          { class: 'badge', 'data-state': s.state ?? 'loading' },
          STATE_TEXT[s.state] ?? 'Not loaded',
        ),
        s.archivedAt === undefined
          ? null
          : h('span', { class: 'badge', 'data-state': 'archived' }, 'Archived'),
      ),
      h('td', {}, s.stock ? `${number(s.stock.available)} of ${number(s.stock.total)}` : '–'),
      h('td', {}, timeOf(s.startsAt)),
      h(
        'td',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            'aria-label': `Watch ${s.name}`,
            onclick: () => watch(s.id, true),
          },
          'Watch',
        ),
        actionButtons(s),
      ),
    ),
  );
  $('#sales tbody').replaceChildren(...rows);
  if (dash) renderDashHeader();
}

async function act(sale, action) {
  if (action === 'end' && !confirm(`End “${sale.name}” now? This cannot be undone.`)) return;
  if (
    action === 'archive' &&
    !confirm(`Archive “${sale.name}”? It leaves the storefront (ending it if it runs); it stays here.`)
  )
    return;
  notice(null);
  const res = await call('POST', `/sales/${sid(sale.id)}/${action}`);
  if (handled(res)) {
    renderSales(sales.map((s) => (s.id === res.data.id ? res.data : s)));
    notice(null);
  }
}

// ---- creating a sale

const pad = (n) => String(n).padStart(2, '0');
function localInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

async function create(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const f = form.elements;
  const num = (name) => Number(f[name].value);
  const startsAt = new Date(f.startsAt.value).getTime();
  const body = {
    id: f.id.value.trim(),
    name: f.name.value.trim(),
    description: f.description.value.trim(),
    priceCents: Math.round(num('price') * 100),
    currency: f.currency.value.trim().toUpperCase(),
    totalStock: num('totalStock'),
    perUserLimit: num('perUserLimit'),
    prequeueAt: Math.max(0, startsAt - num('prequeue') * 60_000),
    startsAt,
    endsAt: startsAt + num('duration') * 60_000,
    queueing: f.queueing.value,
    admission: {
      perSecond: num('perSecond'),
      maxActive: num('maxActive'),
      sessionSeconds: num('sessionSeconds'),
    },
    holdSeconds: num('holdSeconds'),
  };
  // Left empty, the service decides (parts from the expected crowd and the cluster's masters).
  for (const name of ['expectedBuyers', 'parts']) {
    if (f[name].value.trim() !== '') body[name] = num(name);
  }
  const error = $('#create-error');
  const res = await call('POST', '/sales', body);
  if (res.status === 201) {
    error.hidden = true;
    form.reset();
    f.startsAt.value = localInput(Date.now() + 10 * 60_000);
    renderSales([...sales, res.data]);
    watch(res.data.id, true);
    // Said after watch() moved the focus, so it is the last thing announced.
    return notice(`Sale “${res.data.name}” created: it opens ${timeOf(res.data.startsAt)}.`);
  }
  if (res.status === 401) return handled(res);
  const field = res.error.details?.field;
  error.textContent = field ? `${res.error.message} (${field})` : res.error.message;
  error.hidden = false;
}

// ---- the live dashboard of one sale

const CARDS = [
  'waiting',
  'active',
  'admitted',
  'available',
  'held',
  'sold',
  'confirmed',
  'failed',
  'errors',
  'p95',
];
const CARD_LABELS = {
  waiting: 'Waiting',
  active: 'Shopping now',
  admitted: 'Admitted',
  available: 'Available',
  held: 'Held',
  sold: 'Sold',
  confirmed: 'Orders confirmed',
  failed: 'Orders failed',
  errors: 'Error rate',
  p95: 'Latency p95',
};

const pct = (v) => `${v < 10 ? v.toFixed(1) : Math.round(v)}%`;
const ms = (v) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const rate = (v) => (v < 10 ? v.toFixed(1) : number(Math.round(v)));
const count = (v) => number(Math.round(v));

function watch(id, focus) {
  stopWatching();
  history.replaceState(null, '', `#sale=${sid(id)}`);
  // The sale's own charts span its whole history; the request metrics are this moment's only.
  const whole = { windowMs: Number.POSITIVE_INFINITY };
  const charts = {
    rates: lineChart('Joins and admissions per second', ['joins/s', 'admissions/s'], {
      format: rate,
      ...whole,
    }),
    room: lineChart('Waiting room', ['waiting', 'shopping'], { format: count, ...whole }),
    stock: lineChart('Stock', ['available', 'held', 'sold'], { format: count, ...whole }),
    orders: lineChart('Orders', ['pending', 'confirmed', 'failed', 'expired'], { format: count, ...whole }),
    errors: lineChart('Error rate', ['5xx', '4xx'], { format: pct }),
    latency: lineChart('Latency', ['p50', 'p95', 'p99'], { format: ms }),
  };
  $('#charts').replaceChildren(...Object.values(charts).map((c) => c.el));
  const cards = Object.fromEntries(CARDS.map((k) => [k, h('dd', { 'data-card': k }, '–')]));
  $('#cards').replaceChildren(...CARDS.map((k) => h('div', {}, h('dt', {}, CARD_LABELS[k]), cards[k])));
  dash = { id, charts, cards, prev: null, metricsAt: 0, timer: 0 };
  $('#dashboard').hidden = false;
  renderDashHeader();
  if (focus) focusHeading($('#dashboard'));
  const d = dash;
  loadHistory(d).then(() => sample(d));
}

/**
 * The sale's history as the workers sampled it since its waiting room opened, drawn before the
 * first live sample, so the charts show the whole sale at once. Without it, the charts start now.
 */
async function loadHistory(d) {
  const res = await call('GET', `/sales/${sid(d.id)}/history`);
  if (dash !== d || res.status !== 200) return;
  for (const point of res.data.points) record(d, point, null, point.at);
}

function stopWatching() {
  if (dash) clearTimeout(dash.timer);
  dash = null;
}

function renderDashHeader() {
  const sale = sales.find((s) => s.id === dash.id);
  setText($('#h-dash'), sale ? sale.name : dash.id);
  setText($('#dash-state'), sale ? (STATE_TEXT[sale.state] ?? 'Not loaded') : '');
  setText($('#dash-parts'), sale && sale.parts > 1 ? ` · split into ${sale.parts} parts` : '');
  $('#dash-link').href = `/sales/${sid(dash.id)}`;
  $('#dash-actions').replaceChildren(...(sale ? actionButtons(sale) : []));
}

/** One sample: the sale's counters, and the service's request metrics when monitoring is there. */
async function sample(d) {
  const withMetrics = Date.now() >= d.metricsAt;
  const [stats, metrics] = await Promise.all([
    call('GET', `/sales/${sid(d.id)}/stats`),
    withMetrics ? call('GET', '/metrics/summary') : null,
  ]);
  if (dash !== d) return;
  if (stats.status === 401 || stats.status === 404) {
    handled(stats);
    if (stats.status === 404) stopWatching();
    return;
  }
  // No metrics endpoint (404): show "–" and look again now and then.
  if (metrics?.status === 404) d.metricsAt = Date.now() + METRICS_RECHECK_MS;
  if (stats.status === 200) record(d, stats.data, metrics?.status === 200 ? metrics.data : null);
  setText($('#dash-updated'), `updated ${new Date().toLocaleTimeString()}`);
  d.timer = setTimeout(() => sample(d), SAMPLE_MS);
}

/** Adds one sample to the charts; a live one (no `at`) also updates the cards and request metrics. */
function record(d, stats, m, at) {
  const live = at === undefined;
  const t = at ?? Date.now();
  const { stock, queue, orders } = stats;
  const joined = queue.waiting + queue.admitted;
  const prev = d.prev;
  const per = (now, before, dt) => (prev ? Math.max(0, (now - before) / dt) : null);
  const dt = prev ? Math.max(0.001, (t - prev.t) / 1000) : 1;
  const joins = per(joined, prev?.joined, dt);
  const admissions = per(queue.admitted, prev?.admitted, dt);
  let errors = [null, null];
  if (m && prev?.m) {
    const requests = m.requests.total - prev.m.requests.total;
    const share = (n) => (requests > 0 ? (100 * n) / requests : 0);
    errors = [
      share(m.requests.errors5xx - prev.m.requests.errors5xx),
      share(m.requests.errors4xx - prev.m.requests.errors4xx),
    ];
  }
  const latency = m ? [m.latencyMs.p50, m.latencyMs.p95, m.latencyMs.p99] : [null, null, null];
  const c = d.charts;
  const closed = live && CLOSED_STATES.includes(sales.find((s) => s.id === d.id)?.state);
  if (closed) Object.assign(queue, { waiting: 0, active: 0 });
  c.rates.push(t, [joins, admissions]);
  c.room.push(t, [queue.waiting, queue.active]);
  c.stock.push(t, [stock.available, stock.held, stock.sold]);
  c.orders.push(t, [orders.pending, orders.confirmed, orders.failed, orders.expired]);
  d.prev = { t, joined, admitted: queue.admitted, m: m ?? prev?.m ?? null };
  if (!live) return;
  c.errors.push(t, errors);
  c.latency.push(t, latency);
  const show = { ...queue, ...stock, confirmed: orders.confirmed, failed: orders.failed };
  for (const k of ['waiting', 'active', 'admitted', 'available', 'held', 'sold', 'confirmed', 'failed'])
    setText(d.cards[k], number(show[k]));
  if (closed) for (const k of ['waiting', 'active']) setText(d.cards[k], '0 · closed');
  setText(d.cards.errors, errors[0] === null ? '–' : pct(errors[0]));
  setText(d.cards.p95, latency[1] === null ? '–' : ms(latency[1]));
}

// ---- start

$('#signin-form').addEventListener('submit', signIn);
$('#signout').addEventListener('click', () => signOut());
$('#create').addEventListener('submit', create);
$('#f-starts').value = localInput(Date.now() + 10 * 60_000);
if (adminKey) {
  call('GET', '/sales').then((res) => {
    if (res.status === 200) enter(res.data.sales, false);
    else signOut(res.status === 401 ? 'The admin key was refused: sign in again.' : res.error.message);
  });
}
