// An order's own page (/orders/<id>): its outcome for the buyer whose browser placed it.
import { $, api, isTransient, money, number, setText } from './lib.js';

const orderId = $('#main').dataset.order;
const VISITOR_KEY = 'flashsale.visitor';
const STATUS = {
  pending: ['Processing your order', 'The payment is going through…'],
  confirmed: ['Order confirmed', 'Thank you! Your order is confirmed.'],
  failed: ['Payment failed', 'The payment did not go through: you have not been charged.'],
  expired: ['Your hold ran out', 'The payment did not finish in time: you have not been charged.'],
};

function token() {
  try {
    return JSON.parse(localStorage.getItem(VISITOR_KEY) ?? 'null')?.token ?? null;
  } catch {
    return null;
  }
}

function render(order) {
  const [title, text] = STATUS[order.status] ?? STATUS.pending;
  setText($('#h-order'), title);
  setText($('#order-status'), text);
  const badge = $('#order-badge');
  setText(badge, order.status[0].toUpperCase() + order.status.slice(1));
  badge.dataset.state = order.status;
  setText($('#order-number'), order.orderNumber);
  setText($('#order-quantity'), number(order.quantity));
  setText($('#order-total'), money(order.amountCents, order.currency));
  $('#sale-link').href = `/sales/${encodeURIComponent(order.saleId)}`;
}

async function poll() {
  const res = await api('GET', `/api/v1/orders/${encodeURIComponent(orderId)}`, { token: token() });
  if (res.status === 200) {
    render(res.data);
    if (res.data.status === 'pending') setTimeout(poll, 1000);
  } else if (isTransient(res)) setTimeout(poll, res.retryAfterMs);
  else {
    // Orders are private: only the browser (or account) that placed one may read it.
    setText($('#h-order'), 'Order not found');
    setText($('#order-status'), 'This browser did not place this order, or the shop does not know it.');
  }
}

poll();
