/**
 * `flashsale start` (what `npm start` runs): the all-in-one. API, order worker and ticks in one
 * process (embedded shape unless REDIS_URL is set), plus a demo sale that opens shortly after the
 * start, so a buyer — curl, a script, the browsable docs — can go through a whole drop right away.
 */
import { type Config, loadConfig } from '../config.ts';
import type { SaleView } from '../engine/types.ts';
import { archiveSale, isListed } from '../sales/archive.ts';
import { publishSale } from '../sales/publish.ts';
import { type Command, expectNoArgs, SERVICE_ENVIRONMENT } from './command.ts';
import { type Running, runService } from './service.ts';

export const DEMO_OPENS_IN_MS = 20_000;
/** Every demo sale's id starts with this; a new start retires the earlier ones by it. */
export const DEMO_ID_PREFIX = 'demo-';

/**
 * Each start publishes a fresh demo sale (its opening is relative to the start) and archives the demo
 * sales of earlier runs on the same data, so the storefront shows one demo, not one per `npm start`.
 * Their records and orders stay in the console.
 */
async function retireEarlierDemos({ app }: Running): Promise<string[]> {
  const earlier = (await app.catalog.list()).filter((s) => s.id.startsWith(DEMO_ID_PREFIX) && isListed(s));
  for (const sale of earlier) await archiveSale(app, sale.id);
  return earlier.map((s) => s.id);
}

function publishDemoSale({ app }: Running): Promise<SaleView> {
  const now = Date.now();
  const startsAt = now + DEMO_OPENS_IN_MS;
  return publishSale(app, {
    id: `${DEMO_ID_PREFIX}${now.toString(36)}`,
    name: 'Limited sneakers',
    description: 'The demo drop: 100 pairs, at most 2 per buyer, a shuffled pre-queue.',
    priceCents: 12_900,
    currency: 'EUR',
    totalStock: 100,
    perUserLimit: 2,
    // The waiting room opens now; everyone who joins before the start is shuffled fairly at it.
    prequeueAt: now,
    startsAt,
    endsAt: startsAt + 60 * 60_000,
    queueing: 'shuffle',
    admission: { perSecond: 5, maxActive: 50, sessionSeconds: 300 },
    holdSeconds: 120,
  });
}

function printBanner(running: Running, sale: SaleView, retired: string[]): void {
  const { app, ctx, url } = running;
  const api = `${url}/api/v1`;
  const saleUrl = `${api}/sales/${sale.id}`;
  const opens = new Date(sale.startsAt).toLocaleTimeString();
  const generated = app.config.adminKey === null ? '  (generated; set FLASHSALE_ADMIN_KEY to choose it)' : '';
  const lines = [
    '',
    `flashsale is running (${app.shape.description})`,
    '',
    `  API          ${api}`,
    `  Docs         ${url}/docs   (explore and try every route from the browser)`,
    `  OpenAPI      ${url}/openapi.json`,
    `  Demo sale    ${saleUrl}   (opens at ${opens}, in ${DEMO_OPENS_IN_MS / 1000} s)`,
    `  Storefront   ${url}/sales/${sale.id}   (the demo sale in a browser)`,
    `  Console      ${url}/admin   (sign in with the admin key)`,
    `  Admin key    ${ctx.adminKey}${generated}`,
    ...(retired.length > 0
      ? [
          `  Archived     ${retired.join(', ')}   (earlier demo sales: off the storefront, kept in the console)`,
        ]
      : []),
    '',
    'A buyer, by hand:',
    ...(app.config.visitors
      ? [`  curl -s -X POST ${api}/visitors                      → {"token", "userId"}`]
      : ['  (sign a user token with FLASHSALE_USER_SECRET: visitors are off)']),
    `  curl -s -X POST -H "Authorization: Bearer $TOKEN" ${saleUrl}/challenge   → {"challenge", "difficulty"}`,
    '     solve it (README, "Joining: proof of work"; the storefront does it in a Web Worker), then',
    `  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H "X-Pow-Solution: $SOLUTION" ${saleUrl}/queue`,
    '     then GET the same URL until "state" is "admitted"; it carries admission.token',
    `  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H "X-Admission-Token: $ADMISSION" \\`,
    `       -H "Idempotency-Key: 1" -H "Content-Type: application/json" \\`,
    `       -d '{"quantity": 1, "paymentMethod": "pm_ok"}' ${saleUrl}/checkout`,
    `  curl -s -H "Authorization: Bearer ${ctx.adminKey}" ${url}/api/v1/admin/sales/${sale.id}/stats`,
    '',
    'Ctrl-C stops it.',
    '',
  ];
  console.log(lines.join('\n'));
}

const HELP = `usage: flashsale start

All-in-one (what \`npm start\` runs): the HTTP API, the order worker and its ticks in this process,
plus a demo sale (100 pairs of sneakers, 2 per buyer, a shuffled pre-queue) whose waiting room
opens at once and whose sale opens ${DEMO_OPENS_IN_MS / 1000} s later; the demo sales of earlier starts
on the same data are archived (off the storefront, kept in the console). Prints the URLs, the admin key and a
buyer's walk through the API with curl. Embedded shape unless REDIS_URL is set. Stops gracefully
on SIGTERM or SIGINT, like \`flashsale serve\`.

Options: none. Environment (README.md, Configuration, has every variable):
${SERVICE_ENVIRONMENT}
  FLASHSALE_LOG_LEVEL    fatal, error, warn (default for start), info, debug, silent`;

function runStart(config: Readonly<Config>): Promise<number> {
  return runService(config, {
    withWorker: true,
    async onListening(running) {
      const retired = await retireEarlierDemos(running);
      printBanner(running, await publishDemoSale(running), retired);
    },
  });
}

export const startCommand: Command = {
  name: 'start',
  summary: 'all-in-one: API + worker + a demo sale (what `npm start` runs)',
  help: HELP,
  run(args) {
    expectNoArgs(args);
    // A console for a person: their own log level if they chose one, else warnings only.
    return runStart(loadConfig(process.env, { logLevel: 'warn' }));
  },
};
