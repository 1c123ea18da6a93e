/**
 * The `flashsale` command: picks the subcommand, answers `--help`, turns errors into exit codes. Each
 * subcommand lives in its own file, reads the environment once (src/config.ts) and builds the app
 * through the composition root (src/app.ts).
 */
import { ConfigError } from '../config.ts';
import { isFlashsaleError } from '../domain/errors.ts';
import { auditCommand } from './audit.ts';
import { capacityCommand } from './capacity.ts';
import { type Command, UsageError, wantsHelp } from './command.ts';
import { migrateCommand } from './migrate.ts';
import { saleCommand } from './sale.ts';
import { serveCommand } from './serve.ts';
import { simulateCommand } from './simulate.ts';
import { startCommand } from './start.ts';
import { workerCommand } from './worker.ts';

const COMMANDS: readonly Command[] = [
  startCommand,
  serveCommand,
  workerCommand,
  migrateCommand,
  saleCommand,
  auditCommand,
  simulateCommand,
  capacityCommand,
];

const USAGE = `usage: flashsale <command> [arguments]

${COMMANDS.map((command) => `  ${command.name.padEnd(10)}${command.summary}`).join('\n')}

\`flashsale <command> --help\` shows a command's arguments. Configuration comes from the
environment: see README.md, Configuration.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = COMMANDS.find((command) => command.name === args[0]);
    console.log(topic?.help ?? USAGE);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    console.error(name === undefined ? USAGE : `flashsale: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (wantsHelp(args)) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`flashsale ${command.name}: ${error.message}\n\n${command.help}`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
    else if (isFlashsaleError(error)) {
      // An UNAVAILABLE at start carries the driver's error (which host, which port): the operator needs it.
      const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      console.error(`${error.code}: ${error.message}${cause}`);
    } else console.error(error);
    process.exit(1);
  },
);
