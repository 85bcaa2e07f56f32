/**
 * `aitws worker [--concurrency N]`: works on runs, on as many machines as you like, sharing them
 * through Redis (BullMQ). It serves /healthz, /readyz and /metrics on PORT (METRICS_PORT for
 * /metrics alone when set) and posts to Slack and Discord when they are configured; it receives
 * nothing from the platforms (that is `serve`).
 */
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { buildSessionStore } from '../app.js';
import { buildRuntime, registerRunChats } from '../app-runtime.js';
import { type ConfigPart, loadConfig } from '../config.js';
import { AitwsError } from '../errors.js';
import { createHttpServer, healthRoutes, metricsRoute } from '../http/server.js';
import { createLogger } from '../logging.js';
import { createMetrics } from '../metrics.js';
import { storedVersions } from '../runtime/events-version.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE } from './validate-files.js';

export const WORKER_USAGE = `  worker [--concurrency N]        work on runs shared through Redis (REDIS_URL); health
                                  and /metrics on PORT`;

const PARTS: readonly ConfigPart[] = [
  'storage',
  'limits',
  'log',
  'http',
  'slack',
  'discord',
  'assistant',
  'runtime',
];

function concurrencyOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 1000)
    throw new AitwsError('USAGE', `--concurrency ${text} is not a number of runs from 1 to 1000.`);
  return value;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

export async function workerCommand(args: readonly string[], env: Environment): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { concurrency: { type: 'string' } },
    allowPositionals: false,
  });
  const config = loadConfig(env, PARTS);
  if (config.redisUrl === undefined) {
    stdio.err(
      'aitws worker: workers share runs through Redis: set REDIS_URL. Without Redis, the console and `aitws serve` run workflows themselves.',
    );
    return EXIT_UNREADABLE;
  }
  const concurrency = concurrencyOf(values.concurrency, config.runtime.workerConcurrency);
  const logger = createLogger({ level: config.logLevel ?? 'info' });
  const metrics = createMetrics();
  const runs = await buildRuntime({ config, logger, metrics });
  await registerRunChats(runs, config, logger);
  // Runs raise their events here, so triggers fire from the worker: it needs the channels' drafts,
  // approvals and dedupe claims, from the same Redis.
  const stores = buildSessionStore(config, logger);
  runs.routeEvents({
    claims: stores.interactions,
    versions: storedVersions({ sessions: stores.sessions, access: stores.access }),
  });
  const closeAll = async (): Promise<void> => {
    await runs.close();
    await stores.interactions.close();
    await stores.access.close();
    await stores.sessions.close();
  };
  const server = createHttpServer({
    routes: [
      ...healthRoutes(() => runs.ready()),
      metricsRoute(async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      })),
    ],
    limits: config.http,
    logger,
  });
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  try {
    await runs.work(concurrency);
    const port = await listen(server, config.http.port, config.http.host);
    logger.info(
      { port, concurrency },
      `aitws worker is working on runs (concurrency ${concurrency}); health on port ${port}`,
    );
  } catch (error) {
    server.close();
    await closeAll();
    if (!(error instanceof AitwsError)) throw error;
    stdio.err(`aitws worker: ${error.message}`);
    if (error.hint !== undefined) stdio.err(error.hint);
    return 1;
  }
  await signalled;
  logger.info({}, 'worker shutting down');
  server.close();
  await closeAll();
  return 0;
}
