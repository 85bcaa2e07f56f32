/**
 * `aitws serve`: the production process. Builds the core (Redis when REDIS_URL is set), one HTTP
 * server on PORT for platform routes plus /healthz, /readyz and /metrics, and every chat platform
 * that is configured. Stops cleanly on SIGTERM/SIGINT.
 */
import type { Server } from 'node:http';
import type { PlatformAdapter, PlatformFactory } from './adapters/platform.js';
import { buildCore, type Core } from './app.js';
import type { Config } from './config.js';
import { createOpsServer } from './http/server.js';
import type { Logger } from './logging.js';
import { createMetrics, type Metrics } from './metrics.js';

export const SETUP_HELP = `No chat platform is configured. Set at least one of:

  Slack (HTTP):        SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET        (events at POST /slack/events on PORT)
  Slack (Socket Mode): SLACK_BOT_TOKEN, SLACK_APP_TOKEN
  Discord (gateway):   DISCORD_TOKEN, DISCORD_APPLICATION_ID
  Discord (HTTP):      DISCORD_PUBLIC_KEY, DISCORD_APPLICATION_ID, DISCORD_TOKEN (POST /discord/interactions)

Optional: REDIS_URL (sessions shared by every process), PORT (default 3000), ANTHROPIC_API_KEY.
For a local try without any of these, run: aitws console`;

export interface RunningServer {
  readonly server: Server;
  readonly core: Core;
  readonly metrics: Metrics;
  readonly platforms: readonly PlatformAdapter[];
  /** The port actually bound (PORT=0 picks a free one). */
  readonly port: number;
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

export async function startServer(
  config: Config,
  logger: Logger,
  factories: readonly PlatformFactory[],
): Promise<RunningServer | undefined> {
  const metrics = createMetrics();
  const core = buildCore({ config, logger, metrics });
  const platforms = factories
    .map((factory) => factory({ config, core, logger }))
    .filter((p): p is PlatformAdapter => p !== undefined);
  if (platforms.length === 0) {
    await core.close();
    return undefined;
  }
  const server = createOpsServer({
    routes: platforms.flatMap((p) => p.routes),
    ready: core.ready,
    metrics: async () => ({
      contentType: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
    logger,
  });
  const port = await listen(server, config.http.port, config.http.host);
  for (const platform of platforms) await platform.start();
  logger.info({ port, platforms: platforms.map((p) => p.name), store: core.storeKind }, 'aitws is serving');
  return {
    server,
    core,
    metrics,
    platforms,
    port,
    async stop() {
      for (const platform of platforms) await platform.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await core.close();
    },
  };
}
