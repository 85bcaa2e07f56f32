/**
 * `aitws` command line: finds the subcommand and hands it its arguments and the environment. Each
 * subcommand (src/cli/*-command.ts) reads and validates only the variables it uses, so `PORT=abc`
 * stops `serve` with a clear message and never the console.
 */
import { AUDIT_USAGE, auditCommand } from './cli/audit-command.js';
import { CONSOLE_USAGE, consoleCommand } from './cli/console-command.js';
import { FEEDBACK_USAGE, feedbackCommand } from './cli/feedback-command.js';
import { FMT_USAGE, fmtCommand } from './cli/fmt-command.js';
import { KEYS_USAGE, keysCommand } from './cli/keys-command.js';
import { PACKAGE_USAGE, packageCommand } from './cli/package-command.js';
import { PULL_USAGE, pullCommand } from './cli/pull-command.js';
import { RUN_USAGE, runCommand } from './cli/run-command.js';
import { SERVE_USAGE, serveCommand } from './cli/serve-command.js';
import { SNAPSHOT_USAGE, snapshotCommand } from './cli/snapshot-command.js';
import { type Environment, stdio } from './cli/subcommand.js';
import { VALIDATE_USAGE, validateCommand } from './cli/validate-command.js';
import { EXIT_UNREADABLE } from './cli/validate-files.js';
import { VERIFY_USAGE, verifyCommand } from './cli/verify-command.js';
import { packageVersion } from './cli/version.js';
import { WORKER_USAGE, workerCommand } from './cli/worker-command.js';
import { loadConfig } from './config.js';
import { AitwsError } from './errors.js';

const USAGE = `Usage: aitws <command> [options]

Commands:
${CONSOLE_USAGE}
${VALIDATE_USAGE}
${FMT_USAGE}
${SERVE_USAGE}
${WORKER_USAGE}
${AUDIT_USAGE}
${SNAPSHOT_USAGE}
${FEEDBACK_USAGE}
${KEYS_USAGE}
${PACKAGE_USAGE}
${VERIFY_USAGE}
${PULL_USAGE}
${RUN_USAGE}
  discord commands                print the Discord application commands payload (JSON)
  discord register [--guild ID]   register the commands with Discord (bulk overwrite)
  help                            this text
  --version                       the version of aitws

Environment: AITWS_DATA_DIR (default .aitws), REDIS_URL, AITWS_ADMINS, LOG_LEVEL, AITWS_MAX_* limits. See README.md.`;

async function discordCommand(args: readonly string[], env: Environment): Promise<number> {
  // Loaded on demand: discord.js takes about a second to import.
  const { discordCli } = await import('./adapters/discord/cli.js');
  return discordCli([...args], loadConfig(env, ['discord', 'log']), stdio);
}

async function run(subcommand: string, args: readonly string[], env: Environment): Promise<number> {
  switch (subcommand) {
    case 'console':
      return consoleCommand(args, env);
    case 'validate':
      return validateCommand(args, env);
    case 'fmt':
      return fmtCommand(args, env);
    case 'serve':
      return serveCommand(args, env);
    case 'worker':
      return workerCommand(args, env);
    case 'discord':
      return discordCommand(args, env);
    case 'package':
      return packageCommand(args, env);
    case 'verify':
      return verifyCommand(args, env);
    case 'run':
      return runCommand(args, env);
    case 'pull':
      return pullCommand(args, env);
    case 'keys':
      return keysCommand(args, env);
    case 'feedback':
      return feedbackCommand(args, env);
    case 'snapshot':
      return snapshotCommand(args, env);
    case 'audit':
      return auditCommand(args, env);
    case 'help':
    case '--help':
    case '-h':
      stdio.out(USAGE);
      return 0;
    case 'version':
    case '--version':
    case '-v':
      stdio.out(packageVersion());
      return 0;
    default:
      stdio.err(`aitws: unknown command "${subcommand}"\n\n${USAGE}`);
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
      stdio.err(`aitws: ${error.message}\n\n${USAGE}`);
      return EXIT_UNREADABLE;
    }
    throw error;
  }
}
