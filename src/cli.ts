/**
 * `aitws` command line: console | validate | fmt. Parses arguments, reads the environment once,
 * and hands over to the composition root.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runConsole } from './adapters/console/console.js';
import { buildCore } from './app.js';
import { EXIT_UNREADABLE, formatFile, validateFiles } from './cli/validate-files.js';
import { type Config, loadConfig } from './config.js';
import { AitwsError } from './errors.js';
import { createLogger } from './logging.js';
import type { Output } from './output.js';

const USAGE = `Usage: aitws <command> [options]

Commands:
  console [--channel NAME] [--user NAME] [--data-dir DIR] [--json]
                                  local chat in the terminal (the default)
  validate FILE... [--strict] [--json]
                                  check aiTWS files; exit 0 valid, 1 errors, 2 unreadable
  fmt FILE [--write | --check]    print canonical TOML, rewrite the file, or check it
  serve                           run the bot for every configured chat platform (see README)
  discord commands                print the Discord application commands payload (JSON)
  discord register [--guild ID]   register the commands with Discord (bulk overwrite)
  help                            this text

Environment: AITWS_DATA_DIR (default .aitws), LOG_LEVEL, AITWS_MAX_* limits. See README.md.`;

const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

async function consoleCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      channel: { type: 'string', default: 'local' },
      user: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  // The terminal is the chat, so the console only logs warnings unless LOG_LEVEL says otherwise.
  const logger = createLogger({ level: config.logLevel ?? 'warn' });
  const core = buildCore({
    config,
    logger,
    fileRoot: process.cwd(),
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
  });
  const user = values.user ?? os.userInfo().username;
  try {
    return await runConsole({
      dispatcher: core.dispatcher,
      channel: { platform: 'console', workspace: 'local', channel: values.channel },
      actor: { id: user, name: user },
      input: process.stdin,
      output: process.stdout,
      json: values.json,
      interactive: process.stdin.isTTY === true,
    });
  } finally {
    await core.close();
  }
}

async function serveCommand(config: Config): Promise<number> {
  // Loaded on demand, so the console starts without the chat SDKs (Bolt, discord.js: about a second).
  const { PLATFORMS } = await import('./platforms.js');
  const { SETUP_HELP, startServer } = await import('./serve.js');
  const logger = createLogger({ level: config.logLevel ?? 'info' });
  const running = await startServer(config, logger, PLATFORMS);
  if (running === undefined) {
    stdio.err(SETUP_HELP);
    return EXIT_UNREADABLE;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  logger.info({}, 'shutting down');
  await running.stop();
  return 0;
}

async function validateCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { strict: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    stdio.err('aitws validate: give at least one file, e.g. aitws validate ai.toml');
    return EXIT_UNREADABLE;
  }
  return validateFiles(
    positionals,
    { strict: values.strict, json: values.json, limits: config.limits },
    stdio,
  );
}

async function fmtCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { write: { type: 'boolean', default: false }, check: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) {
    stdio.err('aitws fmt: give exactly one file, e.g. aitws fmt ai.toml --write');
    return EXIT_UNREADABLE;
  }
  return formatFile(file, { write: values.write, check: values.check, limits: config.limits }, stdio);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [subcommand = 'console', ...rest] = argv;
  try {
    // Read the environment exactly once, here.
    const config = loadConfig(process.env);
    switch (subcommand) {
      case 'console':
        return await consoleCommand(rest, config);
      case 'validate':
        return await validateCommand(rest, config);
      case 'fmt':
        return await fmtCommand(rest, config);
      case 'serve':
        return await serveCommand(config);
      case 'discord': {
        // Loaded on demand: discord.js takes about a second to import.
        const { discordCli } = await import('./adapters/discord/cli.js');
        return await discordCli(rest, config, stdio);
      }
      case 'help':
      case '--help':
      case '-h':
        stdio.out(USAGE);
        return 0;
      default:
        stdio.err(`aitws: unknown command "${subcommand}"\n\n${USAGE}`);
        return EXIT_UNREADABLE;
    }
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
