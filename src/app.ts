/**
 * The composition root: config in, ports built and wired, nothing else. Adapters and CLI
 * subcommands receive what they need from here.
 */
import path from 'node:path';
import { createConfinedFiles } from './adapters/console/files.js';
import { createDispatcher, type Dispatcher } from './commands/dispatch.js';
import type { Config } from './config.js';
import type { Logger } from './logging.js';
import { FileSessionStore } from './session/file-store.js';
import type { SessionStore } from './session/port.js';

export interface Core {
  readonly dispatcher: Dispatcher;
  readonly sessions: SessionStore;
  close(): Promise<void>;
}

export interface CoreOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The console's working directory: /load and /save paths are confined to it. */
  readonly fileRoot?: string;
  /** Overrides config.dataDir (the console's --data-dir). */
  readonly dataDir?: string;
}

export async function buildSessionStore(config: Config, dataDir: string | undefined): Promise<SessionStore> {
  return new FileSessionStore({
    dataDir: path.resolve(dataDir ?? config.dataDir),
    historyLimit: config.historyLimit,
  });
}

export async function buildCore(options: CoreOptions): Promise<Core> {
  const { config, logger } = options;
  const sessions = await buildSessionStore(config, options.dataDir);
  const dispatcher = createDispatcher({
    sessions,
    limits: config.limits,
    logger,
    ...(options.fileRoot === undefined
      ? {}
      : { files: createConfinedFiles(options.fileRoot, config.limits.documentBytes) }),
  });
  return { dispatcher, sessions, close: () => sessions.close() };
}
