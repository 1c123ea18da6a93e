// The sale page: product and countdown, the waiting room, checkout and the order, as steps of one page.
import {
  $,
  api,
  clock,
  duration,
  focusHeading,
  isTransient,
  money,
  number,
  randomKey,
  serverNow,
  setText,
  sleep,
  timeOf,
} from './lib.js';

const main = $('#main');
const saleId = main.dataset.sale;
const currency = main.dataset.currency;
const priceCents = Number(main.dataset.priceCents);
const limit = Number(main.dataset.limit);
const base = `/api/v1/sales/${encodeURIComponent(saleId)}`;
const VISITOR_KEY = 'flashsale.visitor';
const ORDER_KEY = `flashsale.order.${saleId}`;
const EMAIL_KEY = 'flashsale.email';
const STATE_TEXT = {
  scheduled: 'Upcoming',
  prequeue: 'Waiting room open',
  live: 'Live now',
  paused: 'Paused',
  sold_out: 'Sold out',
  ended: 'Ended',
};
const CLOSED = {
  sold_out: ['Sold out', 'Every unit has been sold. Thank you for coming.'],
  ended: ['The sale has ended', 'This drop is over.'],
  expired: ['Your turn has passed', 'Your shopping session ended before you checked out.'],
};
const ORDER = {
  pending: ['Processing your order', 'Your units are held for you while the payment goes through…'],
  confirmed: ['Order confirmed', 'Thank you! The confirmation is on its way to you.'],
  // "to you" becomes the address when the buyer gave one (see renderOrder).
  failed: ['Payment failed', 'The payment did not go through, so the units went back on sale.'],
  expired: ['Your hold ran out', 'The payment did not finish in time, so the units went back on sale.'],
};

const view = {
  sale: null, // GET /sales/:id
  step: null,
  closedAs: null,
  queue: null, // the last queue status
  joinedAt: 0,
  firstPosition: 0,
  admission: null, // {token, expiresAt}
  order: null, // {orderId, orderNumber, status, quantity, amountCents?, holdExpiresAt}
  idempotencyKey: null,
  opened: false, // the sale has opened (see hasOpened)
  undrawn: false, // a waiting status had no place yet (a shuffled line before the draw)
  progress: 0, // the bar's value, never lower than shown
};
let queueTimer = 0;
let orderTimer = 0;

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}
function save(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage off (private mode): the page still works until it is reloaded.
  }
}
const userToken = () => load(VISITOR_KEY)?.token ?? null;

/**
 * The shop's own login: a shop links its signed-in buyers to `/sales/<id>#token=<user JWT>`. The
 * fragment never reaches a server or a log; the token is kept like a visitor's and the fragment
 * dropped from the address bar.
 */
function adoptShopToken() {
  const match = /^#token=([\w-]+\.[\w-]+\.[\w-]+)$/.exec(location.hash);
  if (match === null) return;
  save(VISITOR_KEY, { token: match[1] });
  history.replaceState(null, '', location.pathname + location.search);
}

function notice(text) {
  const el = $('#notice');
  setText(el, text ?? '');
  el.hidden = !text;
}

let settled = false;
function show(step) {
  if (view.step === step) return;
  view.step = step;
  for (const section of main.querySelectorAll('[data-step]')) section.hidden = section.id !== `step-${step}`;
  // Not on the first paint: the reader starts at the top of the page, as on any page.
  if (settled) focusHeading($(`#step-${step}`));
  tick();
}

function close(kind) {
  clearTimeout(queueTimer);
  view.closedAs = kind;
  const [title, text] = CLOSED[kind];
  setText($('#h-closed'), title);
  setText($('#closed-text'), text);
  $('#step-closed').dataset.kind = kind;
  show('closed');
}

// ---- the sale

async function refreshSale() {
  const res = await api('GET', base, { fresh: true });
  if (res.status === 200) {
    view.sale = res.data;
    renderSale();
  } else if (res.status === 404) notice('This sale no longer exists.');
  return res;
}

/**
 * Whether the sale has opened, from every source the page has: the clock, the sale's state, and a
 * place in line drawn (which the server only gives once it opened). Once true it stays true, so the
 * badge, the label and the numbers never disagree nor flip back.
 */
function hasOpened(now = serverNow()) {
  const s = view.sale;
  if (s === null) return false;
  if (!view.opened) {
    // A shuffled line has no places before the draw at the opening: a place after none means it opened.
    const drawn = view.undrawn && view.queue?.position != null;
    view.opened = now >= s.startsAt || drawn || !['scheduled', 'prequeue'].includes(s.state);
  }
  return view.opened;
}

/** The state the page shows: the server's, moved on by the clock between two reads of the sale. */
function shownState(now = serverNow()) {
  const s = view.sale;
  if (s.state === 'scheduled' && now >= s.prequeueAt) return hasOpened(now) ? 'live' : 'prequeue';
  if (s.state === 'prequeue' && hasOpened(now)) return 'live';
  return s.state;
}

function renderBadge(now = serverNow()) {
  const state = shownState(now);
  const badge = $('#sale-state');
  setText(badge, STATE_TEXT[state] ?? state);
  badge.dataset.state = state;
  setText($('#opens-label'), hasOpened(now) ? 'Opened' : 'Opens');
}

function renderSale() {
  const s = view.sale;
  setText($('#remaining'), `${number(s.remaining)} of ${number(s.totalStock)}`);
  // The badge and the line's label from one instant: a read that finds the sale opened changes both,
  // not the badge now and the label at the next tick.
  const now = serverNow();
  renderBadge(now);
  if (view.step === 'queue') renderProgress(now);
  setText($('#opens'), timeOf(s.startsAt));
  if (view.step === null || view.step === 'order') return;
  if (s.state === 'sold_out' || s.state === 'ended') close(s.state);
  else if (view.step === 'closed' && view.closedAs === 'sold_out') {
    // Held units came back: the room reopens.
    notice('Units came back on sale.');
    resume();
  }
}

/** Countdowns and the progress bar, once a second. */
function tick() {
  const s = view.sale;
  if (s === null) return;
  const now = serverNow();
  renderBadge(now);
  if (view.step === 'sale') {
    const join = $('#join');
    join.disabled = view.visitorsOff === true || now < s.prequeueAt;
    let text = 'The sale is open: join now.';
    if (now < s.prequeueAt) text = `The waiting room opens in ${clock((s.prequeueAt - now) / 1000)}.`;
    else if (!hasOpened(now)) text = `The sale opens in ${clock((s.startsAt - now) / 1000)}.`;
    else if (s.state === 'paused') text = 'The sale is paused. You can still join the line.';
    setText($('#countdown'), text);
  } else if (view.step === 'queue') renderProgress(now);
  else if (view.step === 'checkout' && view.admission) {
    const left = (view.admission.expiresAt - now) / 1000;
    setText($('#session-left'), left > 0 ? `Your turn lasts ${clock(left)} more.` : 'Your turn has ended.');
  } else if (view.step === 'order' && view.order?.status === 'pending' && view.order.holdExpiresAt) {
    const left = (view.order.holdExpiresAt - now) / 1000;
    setText($('#hold-left'), left > 0 ? `Your units are held for ${clock(left)} more.` : '');
  } else if (view.step === 'order') setText($('#hold-left'), '');
}

// ---- the waiting room

async function join() {
  notice(null);
  const button = $('#join');
  button.disabled = true;
  const token = await visitorToken();
  if (token === null) return;
  // A challenge that expired or was refused meanwhile: one more try with a fresh one.
  for (let attempt = 0; attempt < 2; attempt++) {
    const solution = await proofOfWork(token);
    if (solution === null) break;
    const res = await api('POST', `${base}/queue`, { token, headers: { 'x-pow-solution': solution } });
    if (res.status === 200) {
      button.disabled = false;
      return onQueue(res.data);
    }
    if (res.error.code === 'POW_INVALID' && attempt === 0) continue;
    if (res.status === 401) save(VISITOR_KEY, null);
    notice(res.status === 401 ? 'Your visitor pass has expired: join again.' : res.error.message);
    break;
  }
  button.disabled = false;
}

/**
 * Asks for a challenge and solves it in a Web Worker (the page stays responsive), showing how far it
 * got: the expected work is 2^difficulty tries, so the bar shows the tries made against that (held
 * below 100% until the answer is found). Answers the solution, or null after a notice.
 */
async function proofOfWork(token) {
  const res = await api('POST', `${base}/challenge`, { token });
  if (res.status !== 200) {
    if (res.status === 401) save(VISITOR_KEY, null);
    notice(res.status === 401 ? 'Your visitor pass has expired: join again.' : res.error.message);
    return null;
  }
  const { challenge, difficulty } = res.data;
  if (difficulty === 0) return `${challenge}.0`;
  const box = $('#pow');
  const bar = $('#pow-progress');
  const expected = 2 ** difficulty;
  const startedAt = performance.now();
  const show = (tried, done) => {
    const pct = done ? 100 : Math.min(99, Math.floor((100 * tried) / expected));
    bar.firstElementChild.style.width = `${pct}%`;
    bar.setAttribute('aria-valuenow', String(pct));
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    setText(
      $('#pow-label'),
      done
        ? `Browser checked in ${seconds} s (${number(tried)} tries).`
        : `Checking your browser before you join… ${pct}% (${number(tried)} tries)`,
    );
  };
  box.hidden = false;
  show(0, false);
  const solved = await new Promise((resolve) => {
    const worker = new Worker(main.dataset.powWorker);
    worker.onmessage = ({ data }) => {
      if (data.solution === undefined) return show(data.tried, false);
      worker.terminate();
      resolve(data);
    };
    worker.onerror = () => {
      worker.terminate();
      resolve(null);
    };
    worker.postMessage({ challenge, difficulty });
  });
  if (solved === null) {
    box.hidden = true;
    notice('Your browser could not run the check this sale asks for: try another browser.');
    return null;
  }
  show(solved.tried, true);
  return solved.solution;
}

async function visitorToken() {
  const token = userToken();
  if (token !== null) return token;
  const res = await api('POST', '/api/v1/visitors');
  if (res.status === 201) {
    save(VISITOR_KEY, res.data);
    return res.data.token;
  }
  if (res.error.code === 'VISITORS_DISABLED') {
    view.visitorsOff = true;
    notice('This shop does not let anonymous visitors join: sign in on the shop’s own site to take part.');
  } else {
    notice(res.error.message);
    $('#join').disabled = false;
  }
  return null;
}

function onQueue(status) {
  clearTimeout(queueTimer);
  view.queue = status;
  if (status.state === 'waiting') {
    if (view.joinedAt === 0) view.joinedAt = serverNow();
    if (status.position === null) view.undrawn = true;
    if (status.position !== null) view.firstPosition = Math.max(view.firstPosition, status.position);
    const position = $('#position');
    position.classList.toggle('words', status.position === null);
    setText(position, status.position === null ? 'Drawn at the start' : number(status.position));
    setText($('#ahead'), status.ahead === null ? '–' : number(status.ahead));
    // The server's estimate counts the line ahead (before the start too, at the sale's rate).
    setText($('#eta'), status.etaSeconds === null ? 'Measuring…' : `about ${duration(status.etaSeconds)}`);
    show('queue');
    // Badge, label and numbers from the same answer, in the same frame.
    const now = serverNow();
    renderBadge(now);
    renderProgress(now);
    queueTimer = setTimeout(pollQueue, status.pollAfterMs ?? 5000);
  } else if (status.state === 'admitted') {
    // Admitted means open, whatever the last read of the sale said.
    view.opened = true;
    view.admission = status.admission;
    if (view.step !== 'checkout') showCheckout();
    // The heartbeat: a turn whose page stops asking goes to the next in line, so the open checkout
    // keeps polling as often as the server says.
    if (status.pollAfterMs !== null) queueTimer = setTimeout(pollQueue, status.pollAfterMs);
  } else close(status.state);
}

async function pollQueue() {
  // Once the order is placed (or the page closed its story), the turn is spent: nothing to keep.
  if (view.step !== 'queue' && view.step !== 'checkout') return;
  const res = await api('GET', `${base}/queue`, { token: userToken() });
  if (view.step !== 'queue' && view.step !== 'checkout') return;
  if (res.status === 200) return onQueue(res.data);
  // 503 while the shop reloads a sale its store lost (or any passing failure): ask again shortly.
  if (isTransient(res)) {
    queueTimer = setTimeout(pollQueue, Math.min(res.retryAfterMs ?? 2000, 2000));
    return;
  }
  if (res.status === 404 && res.error?.code === 'NOT_IN_QUEUE' && view.queue?.state === 'waiting') {
    return requeue(0);
  }
  if (res.status === 401) save(VISITOR_KEY, null);
  notice('You are no longer in the waiting room: join again.');
  show('sale');
}

/**
 * A waiter whose ticket the shop no longer knows: its waiting room lost its line (its store was
 * reset). The page takes a new place at the back for the buyer (solving the sale's challenge again)
 * and says so; while the shop is still reloading the sale, it tries again for up to a minute.
 */
async function requeue(attempt) {
  const told =
    'The waiting room was restarted and lost its line. You have been put back in line, at a new place.';
  notice(told);
  const token = userToken();
  const solution = await proofOfWork(token);
  const res =
    solution === null
      ? null
      : await api('POST', `${base}/queue`, { token, headers: { 'x-pow-solution': solution } });
  if (res?.status === 200) {
    notice(told);
    view.firstPosition = 0;
    view.progress = 0;
    return onQueue(res.data);
  }
  if (attempt < 30) {
    // The challenge or the join failed while the shop reloads the sale (503): again.
    queueTimer = setTimeout(() => requeue(attempt + 1), Math.min(res?.retryAfterMs ?? 2000, 2000));
    return;
  }
  notice('You are no longer in the waiting room: join again.');
  show('sale');
}

/**
 * Leaving on purpose: out of the line, or the turn given to the next in line at once (the waiting
 * figures drop). Not on `pagehide`: a reload fires it too, and this page promises that a reload
 * keeps one's place; a closed page loses an admitted turn within the heartbeat interval anyway.
 */
async function leave() {
  clearTimeout(queueTimer);
  const res = await api('DELETE', `${base}/queue`, { token: userToken() });
  if (res.status !== 200) {
    notice(res.error.message);
    if (view.step === 'queue') queueTimer = setTimeout(pollQueue, res.retryAfterMs);
    return;
  }
  Object.assign(view, { queue: null, admission: null, joinedAt: 0, firstPosition: 0, progress: 0 });
  notice('You left the line. Join again to take a new place at the back.');
  show('sale');
}

/**
 * Before the start the bar fills with the time to the opening (the first 30% if one joined early),
 * after it with the people who went in ahead since one's first known place.
 */
const clamp01 = (x) => Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));

function renderProgress(now) {
  const s = view.sale;
  const q = view.queue;
  if (s === null || q === null) return;
  const opened = hasOpened(now);
  const early = view.joinedAt < s.startsAt ? 0.3 : 0;
  const untilStart = opened ? 0 : Math.max(0, s.startsAt - now);
  const timeDone = early === 0 ? 1 : clamp01(1 - untilStart / Math.max(1, s.startsAt - view.joinedAt));
  const queueDone =
    q.position === null || view.firstPosition === 0
      ? 0
      : clamp01((view.firstPosition - q.position) / view.firstPosition);
  // Never below what was shown: a late clock correction must not move the bar back.
  view.progress = Math.max(view.progress, Math.round(100 * (early * timeDone + (1 - early) * queueDone)));
  const pct = Math.min(100, view.progress);
  // The numbers above say how many are ahead; the label says what happens next.
  let label = 'Moving up: you go in when your number comes';
  if (!opened) label = `The sale opens in ${clock(untilStart / 1000)}`;
  else if (s.state === 'paused') label = 'The sale is paused: your place is kept';
  else if (q.position === null) label = 'Your place is being drawn';
  else if (q.ahead === 0) label = 'You are next';
  else if (view.firstPosition > q.position)
    label = `You have moved up ${number(view.firstPosition - q.position)} places`;
  const bar = $('#progress');
  bar.firstElementChild.style.width = `${pct}%`;
  bar.setAttribute('aria-valuenow', String(pct));
  bar.setAttribute('aria-valuetext', `${pct}%: ${label}`);
  setText($('#progress-label'), label);
}

// ---- checkout and the order

function showCheckout() {
  const email = $('#email');
  if (email.value === '') email.value = load(EMAIL_KEY) ?? '';
  const select = $('#quantity');
  if (select.options.length === 0)
    for (let i = 1; i <= limit; i++) select.append(new Option(String(i), String(i)));
  renderTotal();
  show('checkout');
}

const renderTotal = () => setText($('#total'), money(priceCents * Number($('#quantity').value), currency));

async function buy(event) {
  event.preventDefault();
  notice(null);
  const form = event.currentTarget;
  const button = $('#buy');
  button.disabled = true;
  setText(button, 'Placing your order…');
  const quantity = Number(form.elements.quantity.value);
  // The same key on a retry after a failure in transit: the shop answers with the same order.
  view.idempotencyKey ??= randomKey();
  const res = await api('POST', `${base}/checkout`, {
    token: userToken(),
    headers: { 'x-admission-token': view.admission?.token ?? '', 'idempotency-key': view.idempotencyKey },
    body: { quantity, paymentMethod: form.elements.payment.value, email: form.elements.email.value.trim() },
  });
  button.disabled = false;
  setText(button, 'Buy now');
  if (res.status === 202) {
    view.idempotencyKey = null;
    save(EMAIL_KEY, form.elements.email.value.trim());
    return startOrder({ ...res.data, quantity, email: form.elements.email.value.trim() });
  }
  if (isTransient(res)) return notice(`${res.error.message} Your order is not placed yet: try again.`);
  view.idempotencyKey = null;
  const code = res.error.code;
  if (code === 'SOLD_OUT') return close('sold_out');
  if (code === 'NOT_ADMITTED') return close('expired');
  if (code === 'INSUFFICIENT_STOCK') {
    refreshSale();
    return notice('Fewer units are left than you asked for: choose a smaller quantity.');
  }
  if (code === 'LIMIT_EXCEEDED') return notice(`You can buy ${limit} at most, earlier orders included.`);
  if (code === 'NOT_LIVE') return notice('The sale is paused or over: no purchases right now.');
  notice(res.error.message);
}

function startOrder(order) {
  clearTimeout(queueTimer);
  view.order = order;
  save(ORDER_KEY, order);
  renderOrder();
  show('order');
  pollOrder();
}

async function pollOrder() {
  clearTimeout(orderTimer);
  const order = view.order;
  const res = await api('GET', `/api/v1/orders/${encodeURIComponent(order.orderId)}`, { token: userToken() });
  if (res.status === 200) {
    Object.assign(order, res.data);
    save(ORDER_KEY, order);
    renderOrder();
    if (order.status === 'pending') orderTimer = setTimeout(pollOrder, 1000);
  } else if (isTransient(res)) orderTimer = setTimeout(pollOrder, res.retryAfterMs);
  else {
    save(ORDER_KEY, null);
    view.order = null;
    notice('The shop does not know this order.');
    resume();
  }
}

function renderOrder() {
  const o = view.order;
  const [title, text] = ORDER[o.status] ?? ORDER.pending;
  $('#step-order').dataset.status = o.status;
  setText($('#h-order'), title);
  setText($('#order-status'), o.email ? text.replace('to you', `to ${o.email}`) : text);
  setText($('#order-id'), o.orderNumber ?? o.orderId);
  $('#order-link').href = `/orders/${encodeURIComponent(o.orderId)}`;
  if (o.status === 'confirmed' && !view.soldCounted) {
    // The units just sold: show the stock as it is now rather than at the next refresh.
    view.soldCounted = true;
    refreshSale();
  }
  setText($('#order-quantity'), number(o.quantity));
  setText($('#order-total'), money(o.amountCents ?? priceCents * o.quantity, o.currency ?? currency));
  const canRetry = o.status === 'failed' && view.admission !== null && view.admission.expiresAt > serverNow();
  $('#retry').hidden = !canRetry;
  tick();
}

function retry() {
  save(ORDER_KEY, null);
  view.order = null;
  showCheckout();
}

// ---- start

/** Picks the step from what this browser remembers and the server says. */
async function resume() {
  const token = userToken();
  const order = load(ORDER_KEY);
  const res = token === null ? null : await api('GET', `${base}/queue`, { token });
  if (res?.status === 401) save(VISITOR_KEY, null);
  if (res?.status === 200 && res.data.state === 'admitted') view.admission = res.data.admission;
  if (token !== null && order?.orderId) startOrder(order);
  else if (res?.status === 200) onQueue(res.data);
  else show('sale');
}

async function start() {
  adoptShopToken();
  $('#join').addEventListener('click', join);
  $('#checkout').addEventListener('submit', buy);
  $('#quantity').addEventListener('change', renderTotal);
  $('#retry').addEventListener('click', retry);
  $('#leave').addEventListener('click', leave);
  $('#give-up').addEventListener('click', leave);
  // "Being loaded" (503) or a busy origin: try again until the sale answers.
  for (let wait = 1000; ; wait = Math.min(wait * 2, 10_000)) {
    const res = await refreshSale();
    if (res.status === 200) break;
    if (res.status === 404) return;
    await sleep(wait);
  }
  await resume();
  renderSale();
  settled = true;
  setInterval(tick, 1000);
  // Stock follows sales within a second or so (the sale is cacheable for a second); waiters, the
  // crowd, read it less often.
  const refreshLoop = async () => {
    await refreshSale();
    setTimeout(refreshLoop, view.step === 'queue' ? 3000 : 1000);
  };
  setTimeout(refreshLoop, 1000);
}

start();
