/**
 * What a chat platform adapter offers the server, and what the server hands it. Adapters
 * implement this; `aitws serve` (src/serve.ts) only starts and stops them and mounts their routes.
 */
import type { Core } from '../app.js';
import type { Config } from '../config.js';
import type { HttpRoute } from '../http/server.js';
import type { Logger } from '../logging.js';

/** HTTP routes, and a lifecycle. */
export interface PlatformAdapter {
  readonly name: string;
  readonly routes: readonly HttpRoute[];
  /** Connects whatever is not HTTP (Socket Mode, the Discord gateway). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface PlatformContext {
  readonly config: Config;
  readonly core: Core;
  readonly logger: Logger;
}

/** Returns undefined when its platform is not configured, so serve starts exactly the configured ones. */
export type PlatformFactory = (context: PlatformContext) => PlatformAdapter | undefined;
