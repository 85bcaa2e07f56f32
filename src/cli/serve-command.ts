/** `aitws serve`: the bot for every configured chat platform. */
import { loadConfig } from '../config.js';
import { createLogger } from '../logging.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE } from './validate-files.js';

export const SERVE_USAGE = `  serve                           run the bot for every configured chat platform (see README)`;

export async function serveCommand(env: Environment): Promise<number> {
  // Every part: serve reads them all.
  const config = loadConfig(env);
  // Loaded on demand, so the console starts without the chat SDKs (Bolt, discord.js: about a second).
  const { PLATFORMS } = await import('../platforms.js');
  const { SETUP_HELP, startServer } = await import('../serve.js');
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
