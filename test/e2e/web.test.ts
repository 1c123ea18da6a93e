/**
 * The pages and assets as HTTP sees them (no browser): content-hashed asset names cached forever, HTML
 * revalidated by ETag, escaping, 404s, and the hash chain through rewritten imports.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { loadAssets } from '../../src/web/assets.ts';
import { type HttpHarness, liveSale, startHttp } from '../http/harness.ts';
import { embeddedShape } from '../pipeline/shapes.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const assetUrls = (html: string) => [...html.matchAll(/\/assets\/[\w.-]+/g)].map((m) => m[0]);

describe('web pages and assets', () => {
  const shape = embeddedShape();
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttp(shape);
    await liveSale(h.app, { id: 'web-drop', name: 'Sneakers <b>&</b> "socks"', priceCents: 4_950 });
  });
  afterAll(async () => {
    await h?.close();
    await shape.cleanup();
  });

  it('serves the home page listing the sales, revalidated by ETag', async () => {
    const res = await h.server.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toContain('href="/sales/web-drop"');
    expect(res.body).toContain('Sneakers &lt;b&gt;&amp;&lt;/b&gt; &quot;socks&quot;');
    expect(res.body).not.toContain('<b>&</b>');
    const again = await h.server.inject({ url: '/', headers: { 'if-none-match': String(res.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves a sale page and the admin console; an unknown or malformed sale is a 404 page', async () => {
    const sale = await h.server.inject({ url: '/sales/web-drop' });
    expect(sale.statusCode).toBe(200);
    expect(sale.body).toContain('data-sale="web-drop"');
    expect(sale.body).toContain('€49.50');
    expect(sale.body).toContain(
      '<title>Sneakers &lt;b&gt;&amp;&lt;/b&gt; &quot;socks&quot; · flashsale</title>',
    );
    const admin = await h.server.inject({ url: '/admin' });
    expect(admin.statusCode).toBe(200);
    expect(admin.body).toContain('id="admin-key"');
    for (const url of ['/sales/nope', '/sales/bad%20id']) {
      const res = await h.server.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(res.body, url).toContain('No sale has this address.');
    }
  });

  it('serves every referenced asset under a content-hashed name, immutable, compressed on request', async () => {
    const pages = await Promise.all(
      ['/', '/sales/web-drop', '/admin'].map((url) => h.server.inject({ url })),
    );
    const urls = new Set(pages.flatMap((p) => assetUrls(p.body)));
    expect([...urls].some((u) => /^\/assets\/style\.[0-9a-f]{10}\.css$/.test(u))).toBe(true);
    expect([...urls].some((u) => /^\/assets\/sale\.[0-9a-f]{10}\.js$/.test(u))).toBe(true);
    for (const url of urls) {
      const res = await h.server.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('public, max-age=31536000, immutable');
      expect(res.headers['content-type'], url).toMatch(
        /^(text\/(javascript|css); charset=utf-8|image\/svg\+xml)$/,
      );
      const etag = String(res.headers.etag);
      expect((await h.server.inject({ url, headers: { 'if-none-match': etag } })).statusCode).toBe(304);
      const gz = await h.server.inject({ url, headers: { 'accept-encoding': 'gzip' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.rawPayload).toString()).toBe(res.body);
      // Imports point at hashed names that are served too.
      for (const [, target] of res.body.matchAll(/from '\.\/([\w.-]+)'/g)) {
        expect(target).toMatch(/\.[0-9a-f]{10}\.js$/);
        expect((await h.server.inject({ url: `/assets/${target}` })).statusCode).toBe(200);
      }
    }
    const missing = await h.server.inject({ url: '/assets/sale.0000000000.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('takes an archived sale off the storefront and keeps it in the console', async () => {
    await liveSale(h.app, { id: 'web-retired', name: 'Retired drop' });
    const home = () => h.server.inject({ url: '/' }).then((r) => r.body);
    // The home page is rendered at most once a second: poll until it has been rendered since.
    for (let i = 0; i < 100 && !(await home()).includes('href="/sales/web-retired"'); i++) await sleep(100);
    expect(await home()).toContain('href="/sales/web-retired"');

    const archived = await h.server.inject({
      method: 'POST',
      url: '/api/v1/admin/sales/web-retired/archive',
      headers: h.admin,
    });
    expect(archived.statusCode).toBe(200);
    expect(archived.json()).toMatchObject({
      id: 'web-retired',
      state: 'ended',
      archivedAt: expect.any(Number),
    });
    expect(
      (await h.server.inject({ method: 'POST', url: '/api/v1/admin/sales/web-retired/archive' })).statusCode,
    ).toBe(401);

    for (let i = 0; i < 100 && (await home()).includes('href="/sales/web-retired"'); i++) await sleep(100);
    expect(await home()).not.toContain('href="/sales/web-retired"');
    expect(await home()).toContain('href="/sales/web-drop"');
    const page = await h.server.inject({ url: '/sales/web-retired' });
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('This sale is over and no longer listed.');
    const listed = await h.server.inject({ url: '/api/v1/admin/sales', headers: h.admin });
    expect(listed.json().sales.find((s: { id: string }) => s.id === 'web-retired')).toMatchObject({
      archivedAt: archived.json().archivedAt,
    });
  });

  it('leaves the pages out of the OpenAPI document', async () => {
    const doc = (await h.server.inject({ url: '/openapi.json' })).json();
    expect(
      Object.keys(doc.paths).filter((p) => !p.startsWith('/api/') && !p.startsWith('/.well-known')),
    ).toEqual(['/healthz', '/readyz', '/metrics'].filter((p) => p in doc.paths));
  });
});

describe('loadAssets', () => {
  it('renames a module when a module it imports changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashsale-assets-'));
    try {
      writeFileSync(join(dir, 'lib.js'), 'export const a = 1;\n');
      writeFileSync(join(dir, 'app.js'), "import { a } from './lib.js';\nconsole.log(a);\n");
      const first = loadAssets(dir);
      writeFileSync(join(dir, 'lib.js'), 'export const a = 2;\n');
      const second = loadAssets(dir);
      expect(second.url('app.js')).not.toBe(first.url('app.js'));
      const app = second.byHashed.get(second.url('app.js').slice('/assets/'.length));
      expect(app?.body.toString()).toContain(`from './${second.url('lib.js').slice('/assets/'.length)}'`);
      writeFileSync(join(dir, 'lib.js'), "import './app.js';\n");
      expect(() => loadAssets(dir)).toThrow(/cycle/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a themed storefront', () => {
  const shape = embeddedShape();
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttp(shape, {
      FLASHSALE_SHOP_NAME: 'Kicks & Co',
      FLASHSALE_ACCENT_COLOR: '#0a7d55',
      FLASHSALE_LOGO_URL: 'https://cdn.example/logo.svg',
    });
    await liveSale(h.app, { id: 'themed', name: 'Runner', imageUrl: 'https://cdn.example/runner.jpg' });
  });
  afterAll(async () => {
    await h?.close();
    await shape.cleanup();
  });

  it("carries the shop's name, logo and accent colour, and the product's picture", async () => {
    const page = await h.server.inject({ url: '/sales/themed' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Runner · Kicks &amp; Co</title>');
    expect(page.body).toContain('<img class="logo" src="https://cdn.example/logo.svg" alt="">Kicks &amp; Co');
    expect(page.body).toContain(
      '<img class="product-image" src="https://cdn.example/runner.jpg" alt="Runner">',
    );
    expect(page.body).toContain('Kicks &amp; Co · sold with flashsale');
    expect(page.headers['content-security-policy']).toContain("img-src 'self' data: https:");
    const css = await h.server.inject({ url: '/theme.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('--brand:#0a7d55');
    const again = await h.server.inject({
      url: '/theme.css',
      headers: { 'if-none-match': String(css.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    const sale = (await h.server.inject({ url: '/api/v1/sales/themed' })).json();
    expect(sale.imageUrl).toBe('https://cdn.example/runner.jpg');
  });

  it('refuses a theme it cannot put in a stylesheet or a page safely', () => {
    expect(() => loadConfig({ FLASHSALE_ACCENT_COLOR: 'red;}body{display:none' })).toThrow(
      /FLASHSALE_ACCENT_COLOR/,
    );
    expect(() => loadConfig({ FLASHSALE_LOGO_URL: 'javascript:alert(1)' })).toThrow(/FLASHSALE_LOGO_URL/);
    expect(() => loadConfig({ FLASHSALE_SHOP_NAME: 'x'.repeat(61) })).toThrow(/FLASHSALE_SHOP_NAME/);
  });
});
