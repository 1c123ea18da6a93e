/**
 * Browser tests' common ground: the embedded service listening on a real port (worker and ticks in
 * process, so waiting rooms admit), Chromium, screenshots under reports/screenshots/, and a scripted
 * buyer for the crowd around the one in the browser.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { onTestFinished } from 'vitest';
import { type HttpHarness, startHttp } from '../http/harness.ts';
import { embeddedShape, type Shape } from '../pipeline/shapes.ts';
import { launchBrowser } from '../support/browser.ts';

export const SCREENSHOTS = fileURLToPath(new URL('../../reports/screenshots/', import.meta.url));

export interface E2e {
  harness: HttpHarness;
  baseUrl: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The service on the embedded shape, or on the one given (a Redis-shape page test). */
export async function startE2e(
  env: Record<string, string> = {},
  shape: Shape = embeddedShape(),
): Promise<E2e> {
  const harness = await startHttp(shape, env);
  harness.startWorker(true);
  await harness.server.listen({ port: 0, host: '127.0.0.1' });
  const address = harness.server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const browser = await launchBrowser();
  return {
    harness,
    baseUrl: `http://127.0.0.1:${address.port}`,
    browser,
    async close() {
      await browser.close();
      await harness.close();
      await shape.cleanup();
    },
  };
}

export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
export const DESKTOP = { viewport: { width: 1280, height: 900 } };

/**
 * Chromium logs every 4xx answer as a console error. The pages get refusals by design (a wrong admin
 * key, no anonymous visitors) and the tests check what the page makes of them; a 5xx still counts.
 */
const EXPECTED_REFUSAL = /^Failed to load resource: the server responded with a status of 4\d\d /;

/**
 * A fresh browser profile (its own localStorage: a different buyer). `alsoExpected`: console errors a
 * test provokes on purpose (a 503 while its store is reset), besides the 4xx refusals.
 */
export async function newPage(
  e2e: E2e,
  options: object = DESKTOP,
  alsoExpected?: RegExp,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await e2e.browser.newContext({ ...options, baseURL: e2e.baseUrl, locale: 'en-GB' });
  const page = await context.newPage();
  // An exception the page throws, or an error it logs to the console, fails the test that opened it
  // once the test is over — even if no element the test waits for broke.
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' || EXPECTED_REFUSAL.test(message.text())) return;
    if (alsoExpected?.test(message.text())) return;
    errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  onTestFinished(() => {
    if (errors.length > 0) throw new Error(`the browser reported errors:\n${errors.join('\n')}`);
  });
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** Polls `read` until `ok` accepts its value (page state changes on the page's own timers). */
export async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A buyer scripted over HTTP: a visitor token, then a place in the waiting room. */
export async function joinAsVisitor(baseUrl: string, saleId: string): Promise<string> {
  const visitor = await fetch(`${baseUrl}/api/v1/visitors`, { method: 'POST' });
  const { token } = (await visitor.json()) as { token: string };
  const join = await fetch(`${baseUrl}/api/v1/sales/${saleId}/queue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (join.status !== 200) throw new Error(`join answered ${join.status}: ${await join.text()}`);
  return token;
}
