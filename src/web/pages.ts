/**
 * The storefront's HTML: a few templates in `pages/`, filled on the server. `{{key}}` inserts an
 * escaped value, `{{{key}}}` HTML built here, `{{asset:style.css}}` an asset's hashed URL. Pages carry
 * only what does not change during a drop (name, price); the scripts fetch the live state from the API.
 */
import { readFileSync } from 'node:fs';
import type { SaleRecord } from '../db/records.ts';
import type { SaleState } from '../domain/sale.ts';
import type { AssetSet } from './assets.ts';

const PAGES_DIR = new URL('./pages/', import.meta.url);

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

type Values = Record<string, string | number>;

function fill(template: string, values: Values, assets: AssetSet): string {
  return template.replace(/\{\{(\{?)([\w:.-]+)\}?\}\}/g, (_m, raw: string, key: string) => {
    if (key.startsWith('asset:')) return assets.url(key.slice(6));
    const value = values[key];
    if (value === undefined) throw new Error(`page template needs a value for ${key}`);
    return raw ? String(value) : escapeHtml(String(value));
  });
}

export function formatMoney(cents: number, currency: string): string {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);
}

const STATE_LABELS: Record<SaleState, string> = {
  scheduled: 'Upcoming',
  prequeue: 'Waiting room open',
  live: 'Live now',
  paused: 'Paused',
  sold_out: 'Sold out',
  ended: 'Ended',
};

export interface ListedSale {
  record: SaleRecord;
  /** The engine's live state; null while no process has loaded the sale. */
  state: SaleState | null;
  startsAt: number;
}

const MAX_LISTED = 20;

export interface Pages {
  home(sales: ListedSale[]): string;
  sale(record: SaleRecord): string;
  order(orderId: string, orderNumber: string): string;
  admin(): string;
  notFound(what: string): string;
}

/** What a shop sets to make the storefront theirs (FLASHSALE_SHOP_NAME, _ACCENT_COLOR, _LOGO_URL). */
export interface Theme {
  shopName: string;
  accentColor: string;
  logoUrl: string | null;
}

export const DEFAULT_THEME: Theme = { shopName: 'flashsale', accentColor: '#3b28cc', logoUrl: null };

/** The theme's stylesheet: the accent as CSS variables (the colour is a validated hex value). */
export const themeCss = (theme: Theme): string =>
  `:root{--brand:${theme.accentColor};--accent:${theme.accentColor}}\n`;

export function loadPages(assets: AssetSet, theme: Theme = DEFAULT_THEME): Pages {
  const read = (name: string) => readFileSync(new URL(name, PAGES_DIR), 'utf8');
  const layout = read('layout.html');
  const templates = {
    home: read('home.html'),
    sale: read('sale.html'),
    order: read('order.html'),
    admin: read('admin.html'),
  };
  const nav = '<a href="/">Sales</a><a href="/admin">Admin</a>';
  // The default keeps flashsale's two-tone word mark; a shop's name is shown as it is, after its logo.
  const brandHtml =
    (theme.logoUrl === null ? '' : `<img class="logo" src="${escapeHtml(theme.logoUrl)}" alt="">`) +
    (theme.shopName === DEFAULT_THEME.shopName ? 'flash<span>sale</span>' : escapeHtml(theme.shopName));

  interface Page {
    title: string;
    summary: string;
    script: string;
    body: string;
    /** Stylesheets besides style.css. */
    styles?: string[];
  }
  const page = (p: Page) =>
    fill(
      layout,
      {
        title: p.title,
        summary: p.summary,
        script: assets.url(p.script),
        styles: (p.styles ?? [])
          .map((name) => `<link rel="stylesheet" href="${assets.url(name)}">\n`)
          .join(''),
        body: p.body,
        nav,
        brand: brandHtml,
        footerBrand:
          theme.shopName === DEFAULT_THEME.shopName
            ? 'flashsale · '
            : `${escapeHtml(theme.shopName)} · sold with flashsale: `,
      },
      assets,
    );

  const saleItem = ({ record, state, startsAt }: ListedSale): string => {
    const label = state === null ? 'Opening soon' : STATE_LABELS[state];
    const when = new Date(startsAt).toISOString();
    return (
      `<li><a href="/sales/${encodeURIComponent(record.id)}">${escapeHtml(record.name)}</a> ` +
      `<span class="badge" data-state="${state ?? 'loading'}">${label}</span> ` +
      `<span class="muted">${escapeHtml(formatMoney(record.priceCents, record.currency))} · starts ` +
      `<time datetime="${when}">${when.slice(0, 16).replace('T', ' ')} UTC</time></span></li>`
    );
  };

  return {
    home(sales) {
      // Current and upcoming first (by start), then the most recent past ones.
      const open = sales.filter((s) => s.state !== 'ended');
      const past = sales.filter((s) => s.state === 'ended').reverse();
      const shown = [...open, ...past].slice(0, MAX_LISTED);
      const list =
        shown.length === 0
          ? '<p class="muted">No sales yet. An operator creates them in the <a href="/admin">admin console</a>.</p>'
          : `<ul class="sales">${shown.map(saleItem).join('')}</ul>`;
      return page({
        title: theme.shopName,
        summary: 'Flash sales with a fair waiting room.',
        script: 'home.js',
        body: fill(templates.home, { sales: list }, assets),
      });
    },
    sale(record) {
      const price = formatMoney(record.priceCents, record.currency);
      return page({
        title: `${record.name} · ${theme.shopName}`,
        summary: record.description || `${record.name}, ${price}`,
        script: 'sale.js',
        body: fill(
          templates.sale,
          {
            id: record.id,
            name: record.name,
            description: record.description,
            price,
            priceCents: record.priceCents,
            currency: record.currency,
            perUserLimit: record.perUserLimit,
            image:
              record.imageUrl === undefined
                ? ''
                : `<img class="product-image" src="${escapeHtml(record.imageUrl)}" alt="${escapeHtml(record.name)}">\n    `,
          },
          assets,
        ),
      });
    },
    order(orderId, orderNumber) {
      return page({
        title: `Order ${orderNumber} · ${theme.shopName}`,
        summary: `Order ${orderNumber}`,
        script: 'order.js',
        body: fill(templates.order, { orderId, orderNumber }, assets),
      });
    },
    admin() {
      return page({
        title: `Admin console · ${theme.shopName}`,
        summary: 'Create, steer and watch flash sales.',
        script: 'admin.js',
        body: templates.admin,
        styles: ['admin.css'],
      });
    },
    notFound(what) {
      return page({
        title: `Not found · ${theme.shopName}`,
        summary: what,
        script: 'home.js',
        body:
          `<main id="main" class="wrap"><section class="card"><h1>Not found</h1><p>${escapeHtml(what)}</p>` +
          '<p><a href="/">See the sales</a></p></section></main>',
      });
    },
  };
}
