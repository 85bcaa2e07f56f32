/**
 * `aitws serve`: the production process. Builds the core (Redis when REDIS_URL is set), one HTTP
 * server on PORT for platform routes plus /healthz, /readyz and /metrics (on METRICS_PORT
 * instead when that is set, so metrics need not be exposed where Slack and Discord reach), and
 * every chat platform that is configured. Stops cleanly on SIGTERM/SIGINT.
 */
import type { Server } from 'node:http';
import type { PlatformAdapter, PlatformFactory } from './adapters/platform.js';
import { buildCore, type Core } from './app.js';
import { buildRuntime, type RuntimeSetup, registerRunChats } from './app-runtime.js';
import type { Config } from './config.js';
import { AitwsError } from './errors.js';
import { hooksRoute } from './http/hooks.js';
import { createPageLinks } from './http/page-links.js';
import { pageRoutes } from './http/pages/routes.js';
import { createHttpServer, type HttpRoute, healthRoutes, metricsRoute } from './http/server.js';
import type { Logger } from './logging.js';
import { createMetrics, type Metrics } from './metrics.js';

export const SETUP_HELP = `No chat platform is configured. Set at least one of:

  Slack (HTTP):        SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET        (events at POST /slack/events on PORT)
  Slack (Socket Mode): SLACK_BOT_TOKEN, SLACK_APP_TOKEN
  Discord (gateway):   DISCORD_TOKEN, DISCORD_APPLICATION_ID
  Discord (HTTP):      DISCORD_PUBLIC_KEY, DISCORD_APPLICATION_ID, DISCORD_TOKEN (POST /discord/interactions)

Optional: REDIS_URL (sessions shared by every process), PORT (default 3000), METRICS_PORT, ANTHROPIC_API_KEY.
For a local try without any of these, run: aitws console`;

const METRICS_MAX_CONNECTIONS = 16;

export interface RunningServer {
  readonly server: Server;
  readonly core: Core;
  readonly runs: RuntimeSetup;
  readonly metrics: Metrics;
  readonly platforms: readonly PlatformAdapter[];
  /** The port actually bound (PORT=0 picks a free one). */
  readonly port: number;
  /** The port /metrics is served on: METRICS_PORT's when set, else PORT's. */
  readonly metricsPort: number;
  stop(): Promise<void>;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Why a port could not be bound, in words a person acts on; undefined for errors we cannot explain. */
function listenProblem(error: unknown, where: string, variable: string): string | undefined {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'EADDRINUSE':
      return `${where} is already in use: stop whatever holds it, or set ${variable} to a free port`;
    case 'EACCES':
      return `not allowed to listen on ${where}: ports below 1024 need privileges; set ${variable} to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: HOST is not an address of this machine`;
    default:
      return undefined;
  }
}

/** `variable` names the setting to change when the port cannot be bound (PORT or METRICS_PORT). */
function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: unknown) => {
      const problem = listenProblem(error, `port ${port} on ${host}`, variable);
      reject(problem === undefined ? error : new AitwsError('CONFIG', problem, { cause: error }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

interface Listening {
  readonly main: Server;
  readonly port: number;
  readonly metricsPort: number;
  readonly all: readonly Server[];
}

/** PORT for health and platform routes, and METRICS_PORT (when set) for /metrics alone. */
async function listenAll(
  config: Config,
  logger: Logger,
  routes: { readonly main: readonly HttpRoute[]; readonly metrics: HttpRoute },
): Promise<Listening> {
  const { http } = config;
  const separate = http.metricsPort !== undefined;
  const main = createHttpServer({
    routes: separate ? routes.main : [...routes.main, routes.metrics],
    limits: http,
    logger,
  });
  const port = await listen(main, http.port, http.host, 'PORT');
  if (http.metricsPort === undefined) return { main, port, metricsPort: port, all: [main] };
  // Only Prometheus scrapes this one: a handful of connections is plenty.
  const limits = { ...http, maxConnections: Math.min(http.maxConnections, METRICS_MAX_CONNECTIONS) };
  const metricsServer = createHttpServer({ routes: [routes.metrics], limits, logger });
  try {
    const metricsPort = await listen(metricsServer, http.metricsPort, http.host, 'METRICS_PORT');
    return { main, port, metricsPort, all: [main, metricsServer] };
  } catch (error) {
    await close(main);
    throw error;
  }
}

/**
 * What an adapter may add to PlatformAdapter: after start(), who it is connected as (Slack's
 * workspace and bot user, Discord's bot and application), for the one start-up line.
 */
function connectedAs(platform: PlatformAdapter): string {
  if ('connectedAs' in platform && typeof platform.connectedAs === 'function') {
    const text: unknown = platform.connectedAs();
    if (typeof text === 'string' && text !== '') return text;
  }
  return platform.name;
}

/** Starts each platform in turn; when one fails, the ones already started are stopped again. */
async function startAll(platforms: readonly PlatformAdapter[], logger: Logger): Promise<void> {
  const started: PlatformAdapter[] = [];
  try {
    for (const platform of platforms) {
      await platform.start();
      started.push(platform);
    }
  } catch (error) {
    for (const platform of started.reverse()) {
      await platform.stop().catch((stopError: unknown) => {
        logger.warn(
          { err: stopError, platform: platform.name },
          'could not stop a platform after a failed start',
        );
      });
    }
    throw error;
  }
}

/** POST /hooks/… when AITWS_WEBHOOK_SECRET is set (see src/http/hooks.ts). */
function webhookRoutes(config: Config, core: Core, logger: Logger): HttpRoute[] {
  const webhooks = config.runtime.webhooks;
  if (webhooks === undefined || core.events === undefined) return [];
  return [hooksRoute({ secret: webhooks.secret, router: core.events, versions: core.versions, logger })];
}

/** GET /runs/… and /workflows/… when AITWS_PAGE_SECRET is set (see src/http/pages/routes.ts). */
function pagesRoutes(
  config: Config,
  core: Core,
  runs: RuntimeSetup,
  logger: Logger,
  stopping: AbortSignal,
): HttpRoute[] {
  const settings = config.runtime.pages;
  if (settings === undefined) return [];
  const { runtime } = runs;
  return pageRoutes({
    settings,
    runs: runtime.store,
    mask: (run, text) => runtime.mask(run, text),
    access: core.access,
    policy: config.access,
    sessions: core.sessions,
    logger,
    stopping,
  });
}

/**
 * Undefined when no platform is configured. A start that fails (a port in use, a token the
 * platform refuses, a platform out of reach) throws, with an AitwsError saying what to change
 * when the cause is known, after closing everything it opened, so the process can exit.
 */
export interface ServeOptions {
  /** Work on runs in this process too. Without Redis it always does: nothing else could. */
  readonly worker?: boolean;
}

export async function startServer(
  config: Config,
  logger: Logger,
  factories: readonly PlatformFactory[],
  options: ServeOptions = {},
): Promise<RunningServer | undefined> {
  const metrics = createMetrics();
  const runs = await buildRuntime({ config, logger, metrics });
  const pages = config.runtime.pages;
  const core = buildCore({
    config,
    logger,
    metrics,
    runs,
    ...(pages === undefined ? {} : { pageLinks: createPageLinks(pages) }),
  });
  const closeAll = async (): Promise<void> => {
    await runs.close();
    await core.close();
  };
  let servers: Listening | undefined;
  let platforms: PlatformAdapter[] = [];
  // Live run pages hold their connection open: they end when the server stops.
  const pageStreams = new AbortController();
  try {
    platforms = factories
      .map((factory) => factory({ config, core, logger }))
      .filter((p): p is PlatformAdapter => p !== undefined);
    if (platforms.length === 0) {
      await closeAll();
      return undefined;
    }
    await registerRunChats(runs, config, logger);
    servers = await listenAll(config, logger, {
      main: [
        ...healthRoutes(core.ready),
        ...platforms.flatMap((p) => p.routes),
        ...webhookRoutes(config, core, logger),
        ...pagesRoutes(config, core, runs, logger, pageStreams.signal),
      ],
      metrics: metricsRoute(async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      })),
    });
    await startAll(platforms, logger);
    if (options.worker === true || runs.kind === 'file') {
      await runs.work();
      await runs.runtime.resumeUnfinished();
    }
  } catch (error) {
    await Promise.all((servers?.all ?? []).map(close));
    await closeAll();
    throw error;
  }
  const { port, metricsPort, all, main } = servers;
  const described = platforms.map(connectedAs);
  logger.info(
    {
      port,
      metricsPort,
      platforms: platforms.map((p) => p.name),
      connectedAs: described,
      store: core.storeKind,
    },
    `aitws is serving on port ${port}: ${described.join('; ')}`,
  );
  return {
    server: main,
    core,
    runs,
    metrics,
    platforms,
    port,
    metricsPort,
    async stop() {
      pageStreams.abort();
      for (const platform of platforms) await platform.stop();
      await Promise.all(all.map(close));
      await closeAll();
    },
  };
}
