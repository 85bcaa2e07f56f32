/** `aitws console`: the local chat in the terminal (the default subcommand). */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runConsole } from '../adapters/console/console.js';
import { buildCore } from '../app.js';
import { type ConfigPart, loadConfig } from '../config.js';
import { createLogger } from '../logging.js';
import type { Environment } from './subcommand.js';

export const CONSOLE_USAGE = `  console [--channel NAME] [--user NAME] [--data-dir DIR] [--json]
                                  local chat in the terminal (the default)`;

/** Sessions, document limits, logging and the assistant; no chat platform or HTTP settings. */
const PARTS: readonly ConfigPart[] = ['storage', 'limits', 'log', 'assistant'];

export async function consoleCommand(args: readonly string[], env: Environment): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      channel: { type: 'string', default: 'local' },
      user: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const config = loadConfig(env, PARTS);
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
