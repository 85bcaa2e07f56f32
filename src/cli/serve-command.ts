/** `aitws serve`: the bot for every configured chat platform. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { AitwsError } from '../errors.js';
import { createLogger } from '../logging.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE } from './validate-files.js';

export const SERVE_USAGE = `  serve [--worker]                run the bot for every configured chat platform (see README);
                                  --worker also works on runs (always so without REDIS_URL)`;

/** The settings are well-formed but the bot could not start: a port in use, a token refused, a platform out of reach. */
const EXIT_START_FAILED = 1;

export async function serveCommand(args: readonly string[], env: Environment): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { worker: { type: 'boolean', default: false } },
    allowPositionals: false,
  });
  // Every part: serve reads them all.
  const config = loadConfig(env);
  // Loaded on demand, so the console starts without the chat SDKs (Bolt, discord.js: about a second).
  const { PLATFORMS } = await import('../platforms.js');
  const { SETUP_HELP, startServer } = await import('../serve.js');
  const logger = createLogger({ level: config.logLevel ?? 'info' });
  // Listening from the start: a signal that arrives while the platforms connect stops the
  // process as soon as they have, instead of killing it halfway.
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer(config, logger, PLATFORMS, { worker: values.worker });
  } catch (error) {
    // The logs are JSON for machines; why the process is about to exit is one plain line for the
    // person who started it, as every other aitws command reports its errors.
    if (!(error instanceof AitwsError)) throw error;
    stdio.err(`aitws: ${error.message}`);
    return EXIT_START_FAILED;
  }
  if (running === undefined) {
    stdio.err(SETUP_HELP);
    return EXIT_UNREADABLE;
  }
  await signalled;
  logger.info({}, 'shutting down');
  await running.stop();
  return 0;
}
