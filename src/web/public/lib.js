// Shared by the storefront and the admin console: DOM helpers, the API client, formatting.

/** @param {string} selector */
export const $ = (selector, root = document) => /** @type {HTMLElement} */ (root.querySelector(selector));

/** Creates an element: h('button', {type: 'button', onclick}, 'Label'). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined));
  return el;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes text only when it changed: a live region then announces changes, not every refresh. */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * The server's time, so countdowns match the server's. Each fresh answer bounds the offset between
 * the server's clock and ours: its Date header (whole seconds) was stamped between sending and
 * receiving, so offset ∈ [Date − received, Date + 1 s − sent]. The bounds of every answer are
 * intersected, and the middle is used: error under half a second plus half a round trip, and only
 * ever narrowing. An answer a cache may have kept (no `no-store`, or an `Age`) carries an old Date
 * and is never used. Our side is `performance.now()`, which no system clock change moves.
 */
const bounds = { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY };
const localNow = () => performance.timeOrigin + performance.now();
let shownMs = 0;

function offsetMs() {
  return Number.isFinite(bounds.lo) ? (bounds.lo + bounds.hi) / 2 : 0;
}

/** Never runs backwards: a narrower offset that would move it back holds it still until it catches up. */
export function serverNow() {
  shownMs = Math.max(shownMs, localNow() + offsetMs());
  return shownMs;
}

function trackServerClock(response, sentAt, receivedAt) {
  const cacheControl = response.headers.get('cache-control') ?? '';
  if (!cacheControl.includes('no-store') || response.headers.get('age') !== null) return;
  const server = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(server)) return;
  const lo = Math.max(bounds.lo, server - receivedAt);
  const hi = Math.min(bounds.hi, server + 1000 - sentAt);
  // Disjoint bounds: one of the clocks was set in between; start over from this answer.
  if (lo > hi) Object.assign(bounds, { lo: server - receivedAt, hi: server + 1000 - sentAt });
  else Object.assign(bounds, { lo, hi });
}

/** An idempotency key; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Calls the JSON API. Never throws: answers {status, data, error, retryAfterMs}; a network failure is
 * status 0 with error.code 'NETWORK'.
 */
export async function api(method, path, { token, headers = {}, body, fresh = false } = {}) {
  const init = { method, headers: { accept: 'application/json', ...headers } };
  // fresh: revalidate with the server (a cheap 304 when nothing changed) instead of reusing a copy
  // the browser may keep for seconds under stale-while-revalidate.
  if (fresh) init.cache = 'no-cache';
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    const sentAt = localNow();
    const res = await fetch(path, init);
    trackServerClock(res, sentAt, localNow());
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    const retryAfter = Number(res.headers.get('retry-after'));
    return {
      status: res.status,
      data: res.ok ? data : null,
      error: res.ok ? null : (data?.error ?? { code: `HTTP_${res.status}`, message: res.statusText }),
      retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : 2000,
    };
  } catch {
    const error = { code: 'NETWORK', message: 'The connection failed; retrying.' };
    return { status: 0, data: null, error, retryAfterMs: 2000 };
  }
}

/** A refusal worth retrying by itself: rate limited, shed, a backing service away, the network. */
export const isTransient = (res) => res.status === 0 || res.status === 429 || res.status >= 500;

export function money(cents, currency) {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
}

export const number = (n) => new Intl.NumberFormat().format(n);

/** 75 → "1:15", 3700 → "1:01:40". */
export function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** 42 → "42 seconds", 600 → "10 minutes", in round figures. */
export function duration(seconds) {
  const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds < 60) return plural(Math.max(1, Math.round(seconds)), 'second');
  if (seconds < 5400) return plural(Math.round(seconds / 60), 'minute');
  return plural(Math.round(seconds / 3600), 'hour');
}

/** A date and time in the reader's zone, with the zone named ("14 Mar 2026, 18:00 CET"). */
export const timeOf = (ms) => {
  const parts = new Intl.DateTimeFormat(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).formatToParts(new Date(ms));
  const zone = parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
  const rest = parts
    .filter((p) => p.type !== 'timeZoneName')
    .map((p) => p.value)
    .join('')
    .trim();
  return zone ? `${rest} ${zone}` : rest;
};

/** Rewrites the server's UTC `<time datetime>` texts in the reader's own time zone. */
export function localizeTimes(root = document) {
  for (const el of root.querySelectorAll('time[datetime]')) {
    const at = Date.parse(el.getAttribute('datetime'));
    if (!Number.isNaN(at)) el.textContent = timeOf(at);
  }
}

/** Makes `el` the visible step's heading for keyboard and screen-reader users. */
export function focusHeading(section) {
  const heading = section.querySelector('h1, h2');
  if (heading) heading.focus({ preventScroll: false });
}
