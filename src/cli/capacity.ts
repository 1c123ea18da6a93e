/**
 * `flashsale capacity`: how many API processes, Redis masters and order workers, and what PostgreSQL
 * write rate a sale's scenario needs, from the figures bench/ measured (src/capacity/measured.json,
 * refreshed by `npx tsx bench/capacity.ts`). Reads no configuration and opens nothing.
 */
import { readFileSync } from 'node:fs';
import { describeFigures, renderPlan } from '../capacity/format.ts';
import {
  INPUT_LIMITS,
  type MeasuredFigures,
  PLAN_DEFAULTS,
  type PlanInput,
  planCapacity,
} from '../capacity/plan.ts';
import { type Command, parseCommandArgs, UsageError } from './command.ts';

const d = PLAN_DEFAULTS;
export const CAPACITY_HELP = `usage: flashsale capacity --rps N --buyers N --stock N [options]

A capacity plan for one hot sale, from the per-process and per-shard figures bench/ measured on the
machine named in the output (docs/capacity.md explains the model).

  --rps N                 peak requests per second the API must answer
  --buyers N              buyers in the waiting room at the peak
  --stock N               units for sale
  --headroom F            every need × F before rounding up (default ${d.headroom}: cores at most half busy)
  --admit-per-second N    the sale's admission rate (default ${d.admitPerSecond})
  --max-active N          the sale's active shoppers (default ${d.maxActive})
  --heartbeat-seconds N   FLASHSALE_HEARTBEAT_SECONDS (default ${d.heartbeatSeconds})
  --prestart-share F      share of buyers arriving before the start (default ${d.prestartShare})
  --lead-seconds N        they arrive over the N s before the start (default ${d.leadSeconds})
  --ramp-seconds N        the rest over the N s after it (default ${d.rampSeconds})
  --units-per-order N     (default ${d.unitsPerOrder})
  --conversion F          share of admitted buyers who check out (default ${d.conversion})
  --order-reads N         GET /orders/:id per order (default ${d.orderReadsPerOrder})
  --no-sticky             the load balancer spreads a buyer's polls: each may cost a Redis read
  --json                  the plan as JSON
  --figures               print where the measured figures come from, and exit

Exit code 0; 2 on bad options.`;

type NumericKey = Exclude<keyof PlanInput, 'sticky'>;
const FLAGS: Record<NumericKey, string> = {
  rps: 'rps',
  buyers: 'buyers',
  stock: 'stock',
  headroom: 'headroom',
  admitPerSecond: 'admit-per-second',
  maxActive: 'max-active',
  heartbeatSeconds: 'heartbeat-seconds',
  prestartShare: 'prestart-share',
  leadSeconds: 'lead-seconds',
  rampSeconds: 'ramp-seconds',
  unitsPerOrder: 'units-per-order',
  conversion: 'conversion',
  orderReadsPerOrder: 'order-reads',
};
/** Counts must be whole; shares and factors may not be. */
const FRACTIONAL = new Set<NumericKey>(['headroom', 'prestartShare', 'conversion']);
const REQUIRED: NumericKey[] = ['rps', 'buyers', 'stock'];

export interface CapacityOptions {
  input: PlanInput;
  json: boolean;
  figuresOnly: boolean;
}

/** The command's arguments; UsageError for anything missing, unknown or out of range. */
export function parseCapacityArgs(args: string[]): CapacityOptions {
  const options = Object.fromEntries(Object.values(FLAGS).map((flag) => [flag, { type: 'string' as const }]));
  const { values } = parseCommandArgs(args, {
    ...options,
    'no-sticky': { type: 'boolean' },
    json: { type: 'boolean' },
    figures: { type: 'boolean' },
  });
  const figuresOnly = values.figures === true;
  const input: Record<string, number | boolean> = { ...PLAN_DEFAULTS, sticky: values['no-sticky'] !== true };
  for (const [key, flag] of Object.entries(FLAGS) as Array<[NumericKey, string]>) {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof raw !== 'string') {
      if (REQUIRED.includes(key) && !figuresOnly) throw new UsageError(`--${flag} is required`);
      continue;
    }
    const value = Number(raw.replaceAll('_', ''));
    const { min, max } = INPUT_LIMITS[key];
    const whole = !FRACTIONAL.has(key);
    if (
      raw.trim() === '' ||
      !Number.isFinite(value) ||
      (whole && !Number.isInteger(value)) ||
      value < min ||
      value > max
    ) {
      throw new UsageError(
        `--${flag} must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max} (got "${raw}")`,
      );
    }
    input[key] = value;
  }
  return { input: input as unknown as PlanInput, json: values.json === true, figuresOnly };
}

/** The figures shipped next to the code (dist/capacity/measured.json once built). */
export function loadFigures(): MeasuredFigures {
  const url = new URL('../capacity/measured.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as MeasuredFigures;
}

export const capacityCommand: Command = {
  name: 'capacity',
  summary: 'a capacity plan (processes, Redis masters, workers) from measured figures',
  help: CAPACITY_HELP,
  async run(args) {
    const options = parseCapacityArgs(args);
    const figures = loadFigures();
    if (options.figuresOnly) {
      console.log(options.json ? JSON.stringify(figures, null, 2) : describeFigures(figures));
      if (!options.json) for (const s of figures.sources) console.log(`  ${s.suite}: ${s.at}, ${s.command}`);
      return 0;
    }
    const plan = planCapacity(options.input, figures);
    console.log(options.json ? JSON.stringify({ figures, plan }, null, 2) : renderPlan(plan, figures));
    return 0;
  },
};
