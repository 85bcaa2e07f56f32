/** `aitws console`: the local chat in the terminal (the default subcommand). */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runConsole } from '../adapters/console/console.js';
import { ConsoleRunChat } from '../adapters/console/run-chat.js';
import { buildCore } from '../app.js';
import { buildRuntime } from '../app-runtime.js';
import { type ConfigPart, loadConfig } from '../config.js';
import { createLogger } from '../logging.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE } from './validate-files.js';

export const CONSOLE_USAGE = `  console [--channel NAME] [--user NAME] [--data-dir DIR] [--json] [--no-color] [--exit-zero]
                                  local chat in the terminal (the default); piped, exit 1
                                  when a command failed (0 with --exit-zero)`;

/** The line history of the interactive console, beside the sessions in the data dir. */
const HISTORY_FILE = 'console_history';

/** Sessions, document limits, logging and the assistant; no chat platform or HTTP settings. */
/** The names /grant accepts in the console (src/access/people.ts), so everyone can be granted. */
const CONSOLE_USER = /^[\p{L}\p{N}_.-]{1,64}$/u;

const PARTS: readonly ConfigPart[] = ['storage', 'limits', 'access', 'log', 'assistant', 'runtime'];

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
function noColor(env: Environment): boolean {
  return (env.NO_COLOR ?? '') !== '';
}

/** COLUMNS, for a terminal that does not report its size (a pty nobody sized). */
function columnsFrom(env: Environment): { fallbackColumns?: number } {
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? { fallbackColumns: columns } : {};
}

export async function consoleCommand(args: readonly string[], env: Environment): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      channel: { type: 'string', default: 'local' },
      user: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      'exit-zero': { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const user = values.user ?? os.userInfo().username;
  if (!CONSOLE_USER.test(user)) {
    stdio.err(
      `aitws console: --user "${user}" is not a user name: use letters, digits, ".", "_" and "-" (it is who /grant names).`,
    );
    return EXIT_UNREADABLE;
  }
  const loaded = loadConfig(env, PARTS);
  // The console and its data dir are the person's own: unless access is configured (AITWS_ADMINS or
  // AITWS_DEFAULT_PRIVILEGES) they run it as its admin, so `npm start` can /run at once; a team
  // sharing one data dir names its admins instead.
  const accessConfigured = loaded.access.admins.size > 0 || (env.AITWS_DEFAULT_PRIVILEGES ?? '') !== '';
  const config = accessConfigured
    ? loaded
    : { ...loaded, access: { ...loaded.access, admins: new Set([`console:${user}`]) } };
  // The terminal is the chat, so the console only logs warnings unless LOG_LEVEL says otherwise.
  const logger = createLogger({ level: config.logLevel ?? 'warn' });
  const dataDirOption = values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] };
  const runs = await buildRuntime({ config, logger, ...dataDirOption });
  const runMessages = new ConsoleRunChat(process.stdout, values.json);
  runs.chat.register('console', runMessages);
  const core = buildCore({
    config,
    logger,
    fileRoot: process.cwd(),
    runs,
    ...dataDirOption,
  });
  const channel = { platform: 'console' as const, workspace: 'local', channel: values.channel };
  // Closing at the end of input while the background start is still connecting fails it; that
  // failure is the close, not a problem worth a warning.
  let closing = false;
  // In the background: the console answers at once even while Redis is out of reach (the run
  // commands then say so), and picks its unfinished runs up again as soon as it can.
  runs
    .work()
    .then(async () => {
      await runs.runtime.resumeUnfinished();
      // The file store cannot list channels: this console's channel gets its schedules at start.
      const version = await core.versions(channel);
      await runs.scheduler.sync(channel, version?.document ?? null);
    })
    .catch((error: unknown) => {
      if (!closing) logger.warn({ err: error }, 'Runs cannot be worked on in this console');
    });
  const dataDir = values['data-dir'] ?? config.dataDir;
  try {
    return await runConsole({
      dispatcher: core.dispatcher,
      channel,
      actor: { id: user, name: user },
      input: process.stdin,
      output: process.stdout,
      json: values.json,
      interactive: process.stdin.isTTY === true,
      colour: !values['no-color'] && !noColor(env),
      exitZero: values['exit-zero'],
      maxDocumentBytes: config.limits.documentBytes,
      fileRoot: process.cwd(),
      historyFile: path.resolve(dataDir, HISTORY_FILE),
      ...columnsFrom(env),
      // Piped: at the end of input, wait for the runs this process works on, unless they wait on people.
      settle: () => runs.settled(),
      runMessages,
    });
  } finally {
    closing = true;
    await runs.close();
    await core.close();
  }
}
