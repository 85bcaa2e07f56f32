/**
 * Real Redis for tests: each call starts its own `redis-server` on a free loopback port in a temp
 * dir (never the machine's 6379), so a test may kill, pause and restart it. Every process started
 * here is killed when the test process exits, even if a test forgot to stop it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { RedisClient } from '../../src/session/redis-client.js';

/** A program the suite runs, where to get it, and the variable that overrides the PATH lookup. */
interface Prerequisite {
  readonly name: string;
  readonly env: string;
  readonly apt: string;
}

const SERVER: Prerequisite = { name: 'redis-server', env: 'REDIS_SERVER_BIN', apt: 'redis-server' };
// Debian ships redis-cli in redis-tools (which redis-server pulls in); Homebrew's redis has both.
const CLI: Prerequisite = { name: 'redis-cli', env: 'REDIS_CLI_BIN', apt: 'redis-tools' };

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The override when set, else the first match on PATH, as a shell would find it. */
function locate(program: Prerequisite): string | undefined {
  const override = process.env[program.env];
  if (override !== undefined && override !== '') return isExecutableFile(override) ? override : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, program.name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function missingMessage(program: Prerequisite): string {
  const override = process.env[program.env];
  if (override !== undefined && override !== '')
    return `${program.name} not found: ${program.env}=${override} is not an executable file`;
  return (
    `${program.name} not found on PATH: install it with "sudo apt-get install ${program.apt}" (Debian/Ubuntu)` +
    ` or "brew install redis" (macOS), or set ${program.env}`
  );
}

/**
 * The one line to print when a program the suite needs is missing, or undefined when all are
 * there. Checked once before any test runs (test/support/global-build.ts), so a machine without
 * Redis gets that line instead of a hundred failing tests.
 */
export function missingRedisPrerequisite(): string | undefined {
  const missing = [SERVER, CLI].find((program) => locate(program) === undefined);
  return missing === undefined ? undefined : missingMessage(missing);
}

// The bare name as a fallback only matters when the check above was bypassed: spawn then fails
// with ENOENT naming the program.
const REDIS_SERVER = locate(SERVER) ?? SERVER.name;
const REDIS_CLI = locate(CLI) ?? CLI.name;
const run = promisify(execFile);

// Where available, the kernel kills each server when the test process dies, even by SIGKILL;
// the exit hook covers the rest.
const SETPRIV = '/usr/bin/setpriv';
const PDEATHSIG = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'SIGKILL'] : [];
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface RedisServerOptions {
  readonly appendonly?: boolean;
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  readonly cluster?: boolean;
  /** Serve TLS only, with a fresh self-signed certificate for 127.0.0.1 (see `ca`). */
  readonly tls?: boolean;
}

export interface RedisServer {
  readonly port: number;
  /** `redis://` or, with the tls option, `rediss://`. */
  readonly url: string;
  readonly dir: string;
  /** The PEM certificate to trust, when started with the tls option. */
  readonly ca: string | undefined;
  /** Graceful shutdown (SIGTERM; Redis flushes its AOF). Removes the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL: the process gets no chance to flush anything beyond what it already wrote. */
  kill(): Promise<void>;
  /** SIGSTOP: the socket stays open and accepts bytes but nothing answers. */
  pause(): void;
  resume(): void;
  /** Start again on the same port and dir, so an AOF written before is loaded. */
  restart(): Promise<void>;
  /** Runs redis-cli against this server and returns its trimmed output. */
  cli(...args: string[]): Promise<string>;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-redis-'));
  try {
    return await startRedisIn(dir, options);
  } catch (error) {
    // Nothing returned owns the dir yet, so nothing else would remove it.
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startRedisIn(dir: string, options: RedisServerOptions): Promise<RedisServer> {
  const ca = options.tls === true ? await selfSignedCertificate(dir) : undefined;
  const argsFor = (port: number): string[] => [
    ...(ca === undefined
      ? ['--port', String(port)]
      : ['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no']),
    ...(ca === undefined
      ? []
      : ['--tls-cert-file', path.join(dir, 'cert.pem'), '--tls-key-file', path.join(dir, 'key.pem')]),
    ...['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'],
    ...['--appendonly', options.appendonly === true ? 'yes' : 'no'],
    ...['--appendfsync', options.appendfsync ?? 'everysec'],
    ...['--loglevel', 'warning', '--logfile', path.join(dir, 'redis.log')],
    ...(options.cluster === true
      ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']
      : []),
  ];
  const { port, args, child } = await launchOnFreePort(argsFor, ca !== undefined);
  return control({ args, port, dir, ca, child });
}

/** A free port can be taken between probing and binding (parallel test files): try another. */
async function launchOnFreePort(
  argsFor: (port: number) => string[],
  secure: boolean,
): Promise<{ port: number; args: string[]; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = argsFor(port);
    try {
      return { port, args, child: await launch(args, port, secure) };
    } catch (error) {
      if (!(error instanceof ServerExited) || attempt >= 3) throw error;
    }
  }
}

/** A Sentinel watching `master` under `name`, for `redis+sentinel://127.0.0.1:<port>/<name>`. */
export async function startSentinel(master: RedisServer, name = 'mymaster'): Promise<RedisServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-sentinel-'));
  try {
    const config = path.join(dir, 'sentinel.conf');
    // Sentinel rewrites its config file, so it must be a private writable copy.
    await writeFile(config, `sentinel monitor ${name} 127.0.0.1 ${master.port} 1\n`);
    const argsFor = (port: number): string[] => [
      config,
      '--sentinel',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
    ];
    const { port, args, child } = await launchOnFreePort(argsFor, false);
    return control({ args, port, dir, ca: undefined, child });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface Started {
  readonly args: readonly string[];
  readonly port: number;
  readonly dir: string;
  readonly ca: string | undefined;
  readonly child: ChildProcess;
}

function control(started: Started): RedisServer {
  const { args, port, dir, ca } = started;
  let child = started.child;
  const exited = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => proc.once('exit', () => resolve()));
  const terminate = async (): Promise<void> => {
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited(child);
  };
  const tlsArgs = ca === undefined ? [] : ['--tls', '--cacert', path.join(dir, 'cert.pem')];
  return {
    port,
    dir,
    ca,
    url: `${ca === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`,
    cli: async (...cliArgs) =>
      (await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...tlsArgs, ...cliArgs])).stdout.trim(),
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      await terminate();
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) await terminate();
      child = await launch(args, port, ca !== undefined);
    },
  };
}

export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...` for createRedisClient. */
  readonly url: string;
  stop(): Promise<void>;
}

/** `size` masters, no replicas, every slot assigned; resolves once each node reports cluster_state:ok. */
export async function startCluster(size = 3): Promise<RedisCluster> {
  const started = await Promise.allSettled(Array.from({ length: size }, () => startRedis({ cluster: true })));
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    // The nodes that did start would otherwise keep their temp dirs until the test process exits.
    await Promise.all(nodes.map((node) => node.stop()));
    throw failed.reason;
  }
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run(REDIS_CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(async () => {
      const states = await Promise.all(nodes.map((node) => node.cli('cluster', 'info')));
      return states.every((info) => info.includes('cluster_state:ok'));
    }, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, url: `redis+cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`, stop };
}

/**
 * For tests that never kill or pause Redis: `REDIS_URL` when set (a CI service), otherwise a
 * private server. `stop()` leaves an external server alone.
 */
export async function sharedRedis(): Promise<{ readonly url: string; stop(): Promise<void> }> {
  const external = process.env.REDIS_URL;
  if (external !== undefined && external !== '') return { url: external, stop: async () => {} };
  return startRedis();
}

/** A prefix no other test (or earlier run against a shared REDIS_URL) uses. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Removes one test's keys, so a shared REDIS_URL is left as it was found. */
export async function deletePrefix(client: RedisClient, prefix: string): Promise<void> {
  const nodes = 'nodes' in client ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      for (const key of keys) await node.unlink(key);
      cursor = next;
    } while (cursor !== '0');
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
      if (error instanceof ServerExited) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms`, { cause: lastError });
}

class ServerExited extends Error {}

async function launch(args: readonly string[], port: number, secure: boolean): Promise<ChildProcess> {
  const [command = REDIS_SERVER, ...launcherArgs] = [...PDEATHSIG, REDIS_SERVER];
  const child = spawn(command, [...launcherArgs, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.once('exit', () => running.delete(child));
  try {
    await waitFor(async () => {
      if (child.exitCode !== null)
        throw new ServerExited(`redis-server exited (${child.exitCode}): ${stderr}`);
      return isOurServerReady(port, secure, child.pid);
    }, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/**
 * Ready means: answers PING (not -LOADING while it reads its AOF) and is our process, not another
 * server that grabbed the port first. Raw RESP, so readiness does not depend on the client under test.
 */
function isOurServerReady(port: number, secure: boolean, pid: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = secure
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ready: boolean): void => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on(secure ? 'secureConnect' : 'connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (!reply.startsWith('+PONG')) {
        if (reply.includes('\r\n')) done(false);
        return;
      }
      const found = /process_id:(\d+)\r\n/.exec(reply)?.[1];
      if (found !== undefined) done(Number(found) === pid);
    });
  });
}

async function selfSignedCertificate(dir: string): Promise<string> {
  const cert = path.join(dir, 'cert.pem');
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', cert],
  ]);
  return readFile(cert, 'utf8');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
