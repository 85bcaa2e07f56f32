/**
 * Builds the ioredis client RedisSessionStore is given. Kept apart from the store so the store
 * depends only on the commands it uses and tests (or a host app) can pass any client.
 *
 * Accepted URLs:
 *   redis://[user:pass@]host:port[/db]                     standalone
 *   rediss://...                                           standalone over TLS
 *   redis+sentinel://[user:pass@]host:port,host:port/master[/db][?sentinelPassword=..&sentinelUsername=..]
 *   redis+cluster://[user:pass@]host:port,host:port        Redis Cluster (seed nodes)
 *   rediss+sentinel://..., rediss+cluster://...            the same over TLS
 */
import { createRequire } from 'node:module';
import type { ConnectionOptions } from 'node:tls';
import {
  Cluster,
  type ClusterOptions,
  Redis,
  type RedisOptions,
  type StandaloneConnectionOptions,
} from 'ioredis';
import type { ErrorEmitter } from 'ioredis/built/connectors/AbstractConnector.js';
import type { SentinelConnectionOptions } from 'ioredis/built/connectors/SentinelConnector/index.js';
import type { NetStream } from 'ioredis/built/types.js';
import { AitwsError } from '../errors.js';
import { within } from '../timing.js';

// ioredis does not export its connectors from the package root; it is CommonJS.
const { StandaloneConnector, SentinelConnector } = createRequire(import.meta.url)(
  'ioredis/built/connectors/index.js',
) as typeof import('ioredis/built/connectors/index.js');

/**
 * ioredis listens for a socket's errors with `once`, twice at most, and a TLS socket refused in
 * its handshake can emit more than that (the verification failure, then the peer's alert): the
 * extra one would be an uncaught exception that ends the process. This keeps a listener for the
 * socket's whole life; ioredis still reports the errors that matter through its own handlers.
 */
function keepErrorListener(stream: NetStream): NetStream {
  stream.on('error', () => undefined);
  return stream;
}

/** Standalone servers, and each node of a Cluster. */
class GuardedConnector extends StandaloneConnector {
  // ioredis types a connector's options as unknown; it passes the client's own options.
  constructor(options: unknown) {
    super(options as StandaloneConnectionOptions);
  }

  override async connect(emitter: ErrorEmitter): Promise<NetStream> {
    return keepErrorListener(await super.connect(emitter));
  }
}

/**
 * The master found through Sentinel. (The short-lived connections ioredis opens to the Sentinels
 * themselves are its own clients, which it builds without a connector option.)
 */
class GuardedSentinelConnector extends SentinelConnector {
  constructor(options: unknown) {
    super(options as SentinelConnectionOptions);
  }

  override async connect(emitter: ErrorEmitter): Promise<NetStream> {
    return keepErrorListener(await super.connect(emitter));
  }
}

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** Upper bound for one command; match RedisSessionStore's commandTimeoutMs. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** Shows up in CLIENT LIST, to tell bot processes apart. */
  readonly connectionName?: string;
  /** Extra TLS settings (CA, client certificate) for the rediss variants. */
  readonly tls?: ConnectionOptions;
  /** Connection errors are reported here (ioredis otherwise prints them to the console). */
  readonly onError?: (error: Error) => void;
  /** Escape hatches, applied last. */
  readonly redisOptions?: RedisOptions;
  readonly clusterOptions?: ClusterOptions;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** Exponential backoff with jitter, capped, and never giving up: the client heals by itself. */
function reconnectDelay(attempt: number): number {
  const base = Math.min(50 * 2 ** Math.min(attempt, 10), 2000);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

export function createRedisClient(url: string, options: RedisClientOptions = {}): RedisClient {
  const timeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const base: RedisOptions = {
    // Bounds a command on a connection that is open but silent (a paused or overloaded server).
    commandTimeout: timeout,
    connectTimeout: Math.max(2 * timeout, 2000),
    // Commands issued while disconnected wait in the offline queue, but only until the first
    // reconnect attempt fails; a short blip is invisible, an outage fails fast instead of piling up.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelay,
    // Detects a peer that vanished without closing the socket (network partition, host crash).
    keepAlive: 10_000,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
  };
  const client = build(url, base, options);
  if (options.onError !== undefined) client.on('error', options.onError);
  return client;
}

function tlsOptions(secure: boolean, options: RedisClientOptions): RedisOptions {
  return secure ? { tls: { ...options.tls } } : {};
}

function build(url: string, base: RedisOptions, options: RedisClientOptions): RedisClient {
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'redis':
    case 'rediss':
      // ioredis would throw URL's own TypeError, which prints the URL and its password.
      if (!URL.canParse(url))
        throw badUrl(url, 'it cannot be parsed (check the host, the port and any %-escapes)');
      return new Redis(url, {
        ...base,
        Connector: GuardedConnector,
        ...tlsOptions(scheme === 'rediss', options),
        ...options.redisOptions,
      });
    case 'redis+sentinel':
    case 'rediss+sentinel':
      return buildSentinel(url, scheme === 'rediss+sentinel', base, options);
    case 'redis+cluster':
    case 'rediss+cluster':
      return buildCluster(url, scheme === 'rediss+cluster', base, options);
    default:
      throw badUrl(url, 'use redis://, rediss://, redis+sentinel:// or redis+cluster://');
  }
}

function buildSentinel(url: string, secure: boolean, base: RedisOptions, options: RedisClientOptions): Redis {
  const parsed = parseMultiHostUrl(url, 26379);
  const [master, db] = parsed.path;
  if (master === undefined) throw badUrl(url, 'the master name is missing (…/mymaster)');
  const sentinelPassword = parsed.query.get('sentinelPassword');
  const sentinelUsername = parsed.query.get('sentinelUsername');
  const client = new Redis({
    ...base,
    Connector: GuardedSentinelConnector,
    ...parsed.auth,
    sentinels: parsed.hosts,
    name: master,
    ...(db === undefined ? {} : { db: parseDb(url, db) }),
    sentinelRetryStrategy: reconnectDelay,
    ...(sentinelPassword === null ? {} : { sentinelPassword }),
    ...(sentinelUsername === null ? {} : { sentinelUsername }),
    ...(secure
      ? { ...tlsOptions(true, options), enableTLSForSentinelMode: true, sentinelTLS: { ...options.tls } }
      : {}),
    ...options.redisOptions,
  });
  // ioredis hands its own Sentinel connector the client, to report failover progress on
  // (sentinelReconnecting, failoverSubscribed), but not a connector given as an option.
  const connector: unknown = Reflect.get(client, 'connector');
  if (connector instanceof GuardedSentinelConnector) connector.emitter = client;
  return client;
}

function buildCluster(
  url: string,
  secure: boolean,
  base: RedisOptions,
  options: RedisClientOptions,
): Cluster {
  const parsed = parseMultiHostUrl(url, 6379);
  return new Cluster(parsed.hosts, {
    redisOptions: {
      ...base,
      Connector: GuardedConnector,
      ...parsed.auth,
      ...tlsOptions(secure, options),
      ...options.redisOptions,
    },
    clusterRetryStrategy: reconnectDelay,
    enableOfflineQueue: true,
    slotsRefreshTimeout: base.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retryDelayOnClusterDown: 100,
    retryDelayOnFailover: 100,
    retryDelayOnTryAgain: 100,
    ...options.clusterOptions,
  });
}

interface MultiHostUrl {
  readonly hosts: { host: string; port: number }[];
  readonly auth: { username?: string; password?: string };
  readonly path: string[];
  readonly query: URLSearchParams;
}

/** WHATWG URL rejects comma-separated hosts, so these schemes are split by hand. */
function parseMultiHostUrl(url: string, defaultPort: number): MultiHostUrl {
  const match = /^[a-z+]+:\/\/(?:([^@/]*)@)?([^/?#@]+)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(url);
  const hostList = match?.[2];
  if (match === null || hostList === undefined) throw badUrl(url, 'expected scheme://host:port[,host:port]…');
  const hosts = hostList.split(',').map((item) => {
    const hostMatch = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item.trim());
    const host = hostMatch?.[1];
    if (hostMatch === null || host === undefined) throw badUrl(url, `"${item}" is not host:port`);
    return {
      host: host.replace(/^\[|\]$/g, ''),
      port: hostMatch[2] === undefined ? defaultPort : Number(hostMatch[2]),
    };
  });
  const auth: { username?: string; password?: string } = {};
  const userInfo = match[1];
  if (userInfo !== undefined && userInfo !== '') {
    const colon = userInfo.indexOf(':');
    const user = decodeURIComponent(colon === -1 ? userInfo : userInfo.slice(0, colon));
    if (user !== '') auth.username = user;
    if (colon !== -1) auth.password = decodeURIComponent(userInfo.slice(colon + 1));
  }
  const path = (match[3] ?? '')
    .split('/')
    .filter((part) => part !== '')
    .map(decodeURIComponent);
  return { hosts, auth, path, query: new URLSearchParams(match[4] ?? '') };
}

function parseDb(url: string, value: string): number {
  const db = Number(value);
  if (!Number.isInteger(db) || db < 0) throw badUrl(url, `"${value}" is not a database number`);
  return db;
}

/** Never echoes the URL itself: it may carry a password. */
function badUrl(url: string, why: string): AitwsError {
  const scheme = /^([a-z+]+):/i.exec(url)?.[1] ?? 'unknown';
  return new AitwsError('CONFIG', `REDIS_URL (${scheme}://…) is not a usable Redis URL: ${why}.`);
}

/**
 * For a readiness probe: true when the client is connected and Redis answers a PING within
 * `timeoutMs`. Never throws and never waits longer than that.
 */
export async function isRedisReady(client: RedisClient, timeoutMs = 1000): Promise<boolean> {
  if (client.status !== 'ready') return false;
  try {
    return (await within(client.ping(), timeoutMs, 'timeout')) === 'PONG';
  } catch {
    return false;
  }
}

/** QUIT politely, but never wait on a dead server longer than `timeoutMs`. */
export async function closeRedisClient(client: RedisClient, timeoutMs = 1000): Promise<void> {
  try {
    await within(client.quit(), timeoutMs, undefined);
  } catch {
    // Already closed or unreachable: disconnecting below is all that is left to do.
  } finally {
    if (client.status !== 'end') client.disconnect();
  }
}
