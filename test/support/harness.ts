/**
 * A real core (dispatcher + confined files) in temp dirs, for command-level tests: on the file store,
 * or on Redis when given a server (each harness its own key prefix).
 */
import type { Dirent } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AccessPolicy, DEFAULT_ACCESS_POLICY } from '../../src/access/privileges.js';
import { createConfinedFiles } from '../../src/adapters/console/files.js';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/reply.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { FileAccessStore } from '../../src/session/access-file.js';
import type { AccessStore } from '../../src/session/access-port.js';
import { RedisAccessStore } from '../../src/session/access-redis.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import type { InteractionStore } from '../../src/session/interaction-port.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import type { ChannelKey, SessionStore } from '../../src/session/port.js';
import { closeRedisClient, createRedisClient } from '../../src/session/redis-client.js';
import { RedisInteractionStore } from '../../src/session/redis-interactions.js';
import { RedisSessionStore } from '../../src/session/redis-store.js';
import { deletePrefix, uniquePrefix } from './redis.js';

/** Which store a harness runs on: the file store, or Redis at `url`. */
export type HarnessStore = { readonly kind: 'file' } | { readonly kind: 'redis'; readonly url: string };

export interface Harness {
  readonly dispatcher: Dispatcher;
  readonly store: SessionStore;
  readonly access: AccessStore;
  readonly dataDir: string;
  readonly workDir: string;
  readonly channel: ChannelKey;
  run(text: string, user?: string): Promise<Reply>;
  /** Every byte the store holds on disk, for "nothing changed" assertions. */
  snapshot(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

interface Stores {
  readonly sessions: SessionStore;
  readonly interactions: InteractionStore;
  readonly access: AccessStore;
  /** Every byte the store holds, keyed by file or Redis key. */
  snapshot(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

async function fileSnapshot(dataDir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else files[path.relative(dataDir, full)] = await readFile(full, 'utf8');
    }
  };
  await walk(dataDir);
  return files;
}

function storesFor(kind: HarnessStore, dataDir: string): Stores {
  if (kind.kind === 'file') {
    return {
      sessions: new FileSessionStore({ dataDir, historyLimit: 50 }),
      interactions: new MemoryInteractionStore(),
      access: new FileAccessStore({ dataDir }),
      snapshot: () => fileSnapshot(dataDir),
      close: async () => {},
    };
  }
  const client = createRedisClient(kind.url);
  const prefix = uniquePrefix('harness');
  return {
    sessions: new RedisSessionStore(client, { prefix, historyLimit: 50 }),
    interactions: new RedisInteractionStore(client, { prefix }),
    access: new RedisAccessStore(client, { prefix, auditMaxLength: 1000 }),
    async snapshot() {
      const keys = (await client.keys(`*${prefix}*`)).sort();
      const values: Record<string, string> = {};
      // DUMP is the value's exact serialisation, whatever its type.
      for (const key of keys) values[key] = (await client.dumpBuffer(key))?.toString('hex') ?? '';
      return values;
    },
    async close() {
      await deletePrefix(client, prefix);
      await closeRedisClient(client);
    },
  };
}

export interface HarnessOptions {
  /** Workspace admins and defaults; none and read,write unless given. */
  readonly policy?: AccessPolicy;
}

export async function createHarness(
  channel = 'test',
  kind: HarnessStore = { kind: 'file' },
  options: HarnessOptions = {},
): Promise<Harness> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'aitws-test-'));
  const dataDir = path.join(base, 'data');
  const workDir = path.join(base, 'work');
  await mkdir(workDir, { recursive: true });
  const stores = storesFor(kind, dataDir);
  const store = stores.sessions;
  const dispatcher = createDispatcher({
    sessions: store,
    interactions: stores.interactions,
    accessStore: stores.access,
    accessPolicy: options.policy ?? DEFAULT_ACCESS_POLICY,
    files: createConfinedFiles(workDir, DEFAULT_LIMITS.documentBytes),
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  });
  const key: ChannelKey = { platform: 'console', workspace: 'local', channel };
  return {
    dispatcher,
    store,
    access: stores.access,
    dataDir,
    workDir,
    channel: key,
    run: (text, user = 'alice') => dispatcher.handle({ text, actor: { id: user, name: user }, channel: key }),
    snapshot: () => stores.snapshot(),
    async cleanup() {
      await stores.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

export function textOf(reply: Reply): string {
  return reply.blocks
    .map((b) =>
      b.kind === 'text' ? b.text : b.kind === 'code' ? b.code : b.kind === 'list' ? b.items.join('\n') : '',
    )
    .join('\n');
}
