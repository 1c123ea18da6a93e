/** `flashsale audit ID`: the engine's counters of a sale against the database's books. */
import { auditSale, formatAudit } from '../orders/audit.ts';
import { type Command, parseCommandArgs, STORES_ENVIRONMENT, UsageError, withApp } from './command.ts';

const HELP = `usage: flashsale audit ID

Compares the engine's counters of sale ID with the database and prints every check: the stock adds
up, totals and sold units agree, no hold has two orders, no oversell was refused. Exit code 0 when
all hold, 1 on any mismatch. Run it once the order queue has drained. Meant for the production
shape, where the engine lives in Redis.

Arguments:
  ID                     the sale's id

Environment (README.md, Configuration, has every variable):
${STORES_ENVIRONMENT}
  FLASHSALE_REDIS_PREFIX prefix of the engine's Redis keys (default fs:)`;

export const auditCommand: Command = {
  name: 'audit',
  summary: 'compare engine counters with the database; exits 1 on any mismatch',
  help: HELP,
  async run(args) {
    const { positionals } = parseCommandArgs(args, {}, true);
    const [id] = positionals;
    if (id === undefined || positionals.length > 1) throw new UsageError('expected one sale id');
    const report = await withApp((app) => auditSale(app.engine, app.store, id));
    console.log(formatAudit(report));
    return report.ok ? 0 : 1;
  },
};
