/**
 * `aitws` command line: finds the subcommand and hands it its arguments and the environment. Each
 * subcommand (src/cli/*-command.ts) reads and validates only the variables it uses, so `PORT=abc`
 * stops `serve` with a clear message and never the console.
 */
import { type Environment, stdio } from './cli/subcommand.js';
import { EXIT_UNREADABLE } from './cli/validate-files.js';
import { packageVersion } from './cli/version.js';
import { loadConfig } from './config.js';
import { AitwsError } from './errors.js';

type Runner = (args: readonly string[], env: Environment) => Promise<number> | number;

interface Subcommand {
  readonly usage: string;
  readonly run: Runner;
}

/**
 * Each subcommand is imported when it is run (or when `help` lists them all), so `aitws validate`
 * does not load the runtime, the console does not load the OCI and SBOM libraries, and nobody
 * loads discord.js (about a second) unless they ask for it. In the order `help` lists them.
 */
const SUBCOMMANDS: Readonly<Record<string, () => Promise<Subcommand>>> = {
  console: async () => {
    const m = await import('./cli/console-command.js');
    return { usage: m.CONSOLE_USAGE, run: m.consoleCommand };
  },
  validate: async () => {
    const m = await import('./cli/validate-command.js');
    return { usage: m.VALIDATE_USAGE, run: m.validateCommand };
  },
  graph: async () => {
    const m = await import('./cli/graph-command.js');
    return { usage: m.GRAPH_USAGE, run: m.graphCommand };
  },
  fmt: async () => {
    const m = await import('./cli/fmt-command.js');
    return { usage: m.FMT_USAGE, run: m.fmtCommand };
  },
  serve: async () => {
    const m = await import('./cli/serve-command.js');
    return { usage: m.SERVE_USAGE, run: m.serveCommand };
  },
  worker: async () => {
    const m = await import('./cli/worker-command.js');
    return { usage: m.WORKER_USAGE, run: m.workerCommand };
  },
  audit: async () => {
    const m = await import('./cli/audit-command.js');
    return { usage: m.AUDIT_USAGE, run: m.auditCommand };
  },
  snapshot: async () => {
    const m = await import('./cli/snapshot-command.js');
    return { usage: m.SNAPSHOT_USAGE, run: m.snapshotCommand };
  },
  feedback: async () => {
    const m = await import('./cli/feedback-command.js');
    return { usage: m.FEEDBACK_USAGE, run: m.feedbackCommand };
  },
  keys: async () => {
    const m = await import('./cli/keys-command.js');
    return { usage: m.KEYS_USAGE, run: m.keysCommand };
  },
  package: async () => {
    const m = await import('./cli/package-command.js');
    return { usage: m.PACKAGE_USAGE, run: m.packageCommand };
  },
  verify: async () => {
    const m = await import('./cli/verify-command.js');
    return { usage: m.VERIFY_USAGE, run: m.verifyCommand };
  },
  pull: async () => {
    const m = await import('./cli/pull-command.js');
    return { usage: m.PULL_USAGE, run: m.pullCommand };
  },
  run: async () => {
    const m = await import('./cli/run-command.js');
    return { usage: m.RUN_USAGE, run: m.runCommand };
  },
  discord: async () => ({ usage: DISCORD_USAGE, run: discordCommand }),
};

const DISCORD_USAGE = `  discord commands                print the Discord application commands payload (JSON)
  discord register [--guild ID]   register the commands with Discord (bulk overwrite)`;

async function usage(): Promise<string> {
  const loaded = await Promise.all(Object.values(SUBCOMMANDS).map((load) => load()));
  return `Usage: aitws <command> [options]

Commands:
${loaded.map((subcommand) => subcommand.usage).join('\n')}
  help                            this text
  --version                       the version of aitws

Environment: AITWS_DATA_DIR (default .aitws), REDIS_URL, AITWS_ADMINS, LOG_LEVEL, AITWS_MAX_* limits. See README.md.`;
}

async function discordCommand(args: readonly string[], env: Environment): Promise<number> {
  const { discordCli } = await import('./adapters/discord/cli.js');
  return discordCli([...args], loadConfig(env, ['discord', 'log']), stdio);
}

async function run(subcommand: string, args: readonly string[], env: Environment): Promise<number> {
  const load = Object.hasOwn(SUBCOMMANDS, subcommand) ? SUBCOMMANDS[subcommand] : undefined;
  if (load !== undefined) return (await load()).run(args, env);
  switch (subcommand) {
    case 'help':
    case '--help':
    case '-h':
      stdio.out(await usage());
      return 0;
    case 'version':
    case '--version':
    case '-v':
      stdio.out(packageVersion());
      return 0;
    default:
      stdio.err(`aitws: unknown command "${subcommand}"\n\n${await usage()}`);
      return EXIT_UNREADABLE;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [subcommand = 'console', ...rest] = argv;
  try {
    return await run(subcommand, rest, process.env);
  } catch (error) {
    if (error instanceof AitwsError) {
      stdio.err(`aitws: ${error.message}`);
      for (const detail of error.details) stdio.err(`  ${detail}`);
      return EXIT_UNREADABLE;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      stdio.err(`aitws: ${error.message}\n\n${await usage()}`);
      return EXIT_UNREADABLE;
    }
    throw error;
  }
}
