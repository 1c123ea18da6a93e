/** `flashsale sale`: create a sale, or move one through its states (start, pause, resume, end). */
import { SPREAD_FROM_BUYERS } from '../domain/parts.ts';
import { type Queueing, SALE_DEFAULTS } from '../domain/sale.ts';
import { controlSale, purgeSale, SALE_ACTIONS, type SaleAction } from '../sales/control.ts';
import { publishSale } from '../sales/publish.ts';
import { type Command, parseCommandArgs, STORES_ENVIRONMENT, UsageError, withApp } from './command.ts';

const HELP = `usage: flashsale sale create --id ID --name NAME --stock N --price-cents N [options]
       flashsale sale start|pause|resume|end ID
       flashsale sale purge ID

create                   publishes a sale (catalog row, then the engine) and prints it as JSON
  --id ID                the sale's id
  --name NAME            its name (default: the id)
  --stock N              units for sale
  --price-cents N        unit price in cents
  --limit N              units per buyer (default ${SALE_DEFAULTS.perUserLimit})
  --starts-in S          the sale opens S seconds from now (default 0); the waiting room opens now
  --duration S           it ends S seconds after it opens (default 3600)
  --queueing fifo|shuffle  order of the pre-queue at the start (default ${SALE_DEFAULTS.queueing})
  --hold S               seconds a buyer has to pay for reserved units (default ${SALE_DEFAULTS.holdSeconds})
  --per-second N         admissions per second (default ${SALE_DEFAULTS.admission.perSecond})
  --max-active N         admitted shoppers at once (default ${SALE_DEFAULTS.admission.maxActive})
  --pow-difficulty N     proof-of-work bits a join needs, 0-32; 0: none (default ${SALE_DEFAULTS.powDifficulty})
  --parts N              split the waiting room and stock into N parts, each on its own Redis
                         Cluster shard (docs/parts.md); default: one per master when
                         --expected-buyers is ${SPREAD_FROM_BUYERS} or more, else 1
  --expected-buyers N    the crowd expected at the start (sets the default of --parts)
start|pause|resume|end ID  moves sale ID to that state and prints the new one
purge ID                 removes an ended sale's Redis keys now (they expire
                         FLASHSALE_SALE_RETENTION_SECONDS after the end anyway);
                         PostgreSQL keeps its record

Meant for the production shape: in the embedded shape the engine lives inside the \`start\` or
\`serve\` process (use its admin API or console instead).

Environment (README.md, Configuration, has every variable):
${STORES_ENVIRONMENT}`;

async function createSale(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    id: { type: 'string' },
    name: { type: 'string' },
    stock: { type: 'string' },
    'price-cents': { type: 'string' },
    limit: { type: 'string', default: String(SALE_DEFAULTS.perUserLimit) },
    'starts-in': { type: 'string', default: '0' },
    duration: { type: 'string', default: '3600' },
    queueing: { type: 'string', default: SALE_DEFAULTS.queueing },
    hold: { type: 'string', default: String(SALE_DEFAULTS.holdSeconds) },
    'per-second': { type: 'string', default: String(SALE_DEFAULTS.admission.perSecond) },
    'max-active': { type: 'string', default: String(SALE_DEFAULTS.admission.maxActive) },
    'pow-difficulty': { type: 'string', default: String(SALE_DEFAULTS.powDifficulty) },
    parts: { type: 'string' },
    'expected-buyers': { type: 'string' },
  });
  const startsAt = Date.now() + Number(values['starts-in']) * 1000;
  const sale = await withApp((app) =>
    publishSale(app, {
      id: values.id ?? '',
      name: values.name ?? values.id ?? '',
      priceCents: Number(values['price-cents'] ?? 0),
      totalStock: Number(values.stock),
      perUserLimit: Number(values.limit),
      // No prequeueAt: the waiting room opens as the sale is published (normalizeSale's default).
      startsAt,
      endsAt: startsAt + Number(values.duration) * 1000,
      queueing: values.queueing as Queueing,
      holdSeconds: Number(values.hold),
      admission: { perSecond: Number(values['per-second']), maxActive: Number(values['max-active']) },
      powDifficulty: Number(values['pow-difficulty']),
      ...(values.parts === undefined ? {} : { parts: Number(values.parts) }),
      ...(values['expected-buyers'] === undefined
        ? {}
        : { expectedBuyers: Number(values['expected-buyers']) }),
    }),
  );
  console.log(JSON.stringify(sale, null, 2));
  return 0;
}

const isAction = (action: string | undefined): action is SaleAction =>
  SALE_ACTIONS.includes(action as SaleAction);

export const saleCommand: Command = {
  name: 'sale',
  summary: 'create a sale; start, pause, resume, end or purge one',
  help: HELP,
  async run(args) {
    const [action, ...rest] = args;
    if (action === 'create') return createSale(rest);
    if (!isAction(action) && action !== 'purge') {
      throw new UsageError('expected create, start, pause, resume, end or purge');
    }
    const { positionals } = parseCommandArgs(rest, {}, true);
    const [id] = positionals;
    if (id === undefined || positionals.length > 1)
      throw new UsageError(`expected one sale id after ${action}`);
    if (action === 'purge') {
      const removed = await withApp((app) => purgeSale(app, id));
      console.log(`sale ${id}: ${removed} keys removed from the engine`);
      return 0;
    }
    // The same use case as the admin API: a sale the engine lost is loaded from the catalog first.
    const sale = await withApp((app) => controlSale(app, id, action));
    console.log(`sale ${id}: ${sale.state}`);
    return 0;
  },
};
