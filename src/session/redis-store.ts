/**
 * SessionStore on Redis (standalone, Sentinel or Cluster). Each call is one Lua script over keys
 * sharing one hash tag (redis-keys.ts), so a session is never half-written and Cluster works.
 *
 * Failure contract: every call settles within `commandTimeoutMs`. When Redis is down, paused or
 * failing over, the call rejects with StorageUnavailableError, whose message promises "nothing was
 * changed". Writes keep that promise even when the command reaches Redis after the caller gave
 * up: each write carries a deadline on the Redis clock (estimated from the TIME every script
 * returns) and the script refuses to apply once it has passed.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import {
  decodeHistoryEntry,
  decodeSavedDocument,
  encodeHistoryEntry,
  encodeSavedDocument,
  historyEntryVersion,
  parseStored,
  unreadableDataError,
} from './codec.js';
import {
  assertSavedName,
  compareSavedNames,
  type LibraryLimits,
  libraryFullError,
  libraryLimits,
} from './names.js';
import type {
  ChangeToWrite,
  ChannelKey,
  HistoryEntry,
  SavedDocument,
  SavedDocumentSummary,
  SessionRecord,
  SessionStore,
  WorkspaceKey,
  WriteResult,
} from './port.js';
import { runScript, type ScriptClient, translateFailure, withTimeout } from './redis-call.js';
import { type ChannelKeys, createRedisKeys, type RedisKeys } from './redis-keys.js';
import {
  DELETE_NAMED,
  HISTORY,
  HISTORY_ENTRY,
  type LuaScript,
  READ,
  SAVE_NAMED,
  WRITE,
} from './redis-scripts.js';

/** The commands this store sends; ioredis' Redis and Cluster both satisfy it. */
export interface SessionRedisClient extends ScriptClient {
  hget(key: string, field: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export interface RedisSessionStoreOptions {
  /** Key prefix; lets several deployments (or tests) share one Redis. Default `aitws`. */
  readonly prefix?: string;
  /** Versions kept per channel for /undo, /history and /diff. Default 50. */
  readonly historyLimit?: number;
  /** A channel untouched (no read or write) this long disappears. Default 90 days. */
  readonly idleTtlSeconds?: number;
  /** Upper bound for every store call. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** close() also closes the client. Leave false when the client is shared. */
  readonly ownsClient?: boolean;
  /** The local clock, injectable so tests can step it. Default Date.now. */
  readonly now?: () => number;
  /** Caps per workspace library (default 100 entries, 8 MiB of encoded documents). */
  readonly library?: Partial<LibraryLimits>;
}

const REDIS_STORE_DEFAULTS = {
  prefix: 'aitws',
  historyLimit: 50,
  idleTtlSeconds: 90 * 24 * 3600,
  commandTimeoutMs: 2000,
  ownsClient: false,
} as const satisfies Required<Omit<RedisSessionStoreOptions, 'now' | 'library'>>;

const writeReply = z.tuple([z.enum(['ok', 'conflict', 'late']), z.number().int(), z.string(), z.string()]);
const readReply = z.tuple([z.string(), z.string(), z.string().nullable(), z.string().nullable()]);
const listReply = z.array(z.string().nullable()).min(2);
const summaryJson = z.object({ at: z.string(), by: z.string() });
const saveReply = z.tuple([z.enum(['ok', 'entries', 'bytes']), z.number().int(), z.number().int()]);

export class RedisSessionStore implements SessionStore {
  readonly #client: SessionRedisClient;
  readonly #keys: RedisKeys;
  readonly #historyLimit: number;
  readonly #ttlSeconds: number;
  readonly #timeoutMs: number;
  readonly #ownsClient: boolean;
  readonly #clock: RedisClock;
  readonly #now: () => number;
  readonly #library: LibraryLimits;
  #closed = false;

  constructor(client: SessionRedisClient, options: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#keys = createRedisKeys(options.prefix ?? REDIS_STORE_DEFAULTS.prefix);
    this.#historyLimit = positiveInt(
      'historyLimit',
      options.historyLimit ?? REDIS_STORE_DEFAULTS.historyLimit,
    );
    this.#ttlSeconds = positiveInt(
      'idleTtlSeconds',
      options.idleTtlSeconds ?? REDIS_STORE_DEFAULTS.idleTtlSeconds,
    );
    this.#timeoutMs = positiveInt(
      'commandTimeoutMs',
      options.commandTimeoutMs ?? REDIS_STORE_DEFAULTS.commandTimeoutMs,
    );
    this.#ownsClient = options.ownsClient ?? REDIS_STORE_DEFAULTS.ownsClient;
    this.#now = options.now ?? Date.now;
    this.#clock = new RedisClock(Math.min(250, this.#timeoutMs / 10), this.#now);
    this.#library = libraryLimits(options.library ?? {}, 'RedisSessionStore');
  }

  read(key: ChannelKey): Promise<SessionRecord> {
    return this.#bounded(async () => {
      const keys = this.#keys.channel(key);
      const [, , version, entry] = await this.#readRaw(keys);
      if (version === null) return { version: 0, document: null, updatedAt: null, updatedBy: null };
      if (entry === null) throw unreadableDataError(keys.session, `version ${version} has no entry`);
      const decoded = decodeHistoryEntry(entry, keys.session);
      if (decoded.version !== Number(version)) {
        throw unreadableDataError(
          keys.session,
          `its version ${version} does not match its entry's ${decoded.version}`,
        );
      }
      return {
        version: decoded.version,
        document: decoded.document,
        updatedAt: decoded.at,
        updatedBy: decoded.by,
      };
    });
  }

  write(key: ChannelKey, expectedVersion: number, change: ChangeToWrite): Promise<WriteResult> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      return Promise.reject(
        new RangeError(`expectedVersion must be a non-negative integer, got ${expectedVersion}`),
      );
    }
    return this.#bounded(async (deadline) => {
      const keys = this.#keys.channel(key);
      const entry = encodeHistoryEntry({ version: expectedVersion + 1, ...change });
      for (let attempt = 1; ; attempt++) {
        if (!this.#clock.known) await this.#readRaw(keys);
        const fence = this.#clock.fence(deadline);
        const args = [expectedVersion, entry, randomUUID(), this.#historyLimit, this.#ttlSeconds, fence];
        const [status, version] = await this.#run(WRITE, keys, args, writeReply, 2);
        if (status === 'ok') return { ok: true, version };
        if (status === 'conflict') return { ok: false, currentVersion: version };
        // Refused as late, yet answered in time: the clock estimate is off (a local clock step),
        // not Redis. Nothing was applied, so measure again and retry once.
        if (attempt > 1 || this.#now() >= deadline) throw new StorageUnavailableError();
        this.#clock.forget();
      }
    });
  }

  history(key: ChannelKey, limit?: number): Promise<readonly HistoryEntry[]> {
    return this.#bounded(async () => {
      const count = limit === undefined ? -1 : Math.max(0, Math.floor(limit));
      if (count === 0) return [];
      return this.#historyRaw(this.#keys.channel(key), count);
    });
  }

  historyEntry(key: ChannelKey, version: number): Promise<HistoryEntry | null> {
    return this.#bounded(async () => {
      if (!Number.isSafeInteger(version) || version < 1) return null;
      const keys = this.#keys.channel(key);
      const [, , raw] = await this.#run(HISTORY_ENTRY, keys, [this.#ttlSeconds, version], listReply, 0);
      if (raw === undefined || raw === null) return null;
      const entry = decodeHistoryEntry(raw, keys.history);
      if (entry.version === version) return entry;
      // The index arithmetic assumes contiguous history; if that was ever broken, search instead,
      // decoding only the entry that claims to be the one asked for.
      const reply = await this.#run(HISTORY, keys, [this.#ttlSeconds, -1], listReply, 0);
      for (const candidate of reply.slice(2)) {
        if (candidate === null) continue;
        const claimed = historyEntryVersion(candidate);
        if (claimed !== undefined && claimed !== version) continue;
        const decoded = decodeHistoryEntry(candidate, keys.history);
        if (decoded.version === version) return decoded;
      }
      return null;
    });
  }

  saveNamed(workspace: WorkspaceKey, saved: SavedDocument): Promise<void> {
    return this.#bounded(async () => {
      assertSavedName(saved.name);
      const keys = this.#keys.workspace(workspace);
      const summary = JSON.stringify({ at: saved.at, by: saved.by });
      const document = encodeSavedDocument(saved);
      const { maxEntries, maxBytes } = this.#library;
      const raw = await translateFailure(() =>
        runScript(
          this.#client,
          SAVE_NAMED,
          [keys.saved, keys.savedIndex],
          [saved.name, document, summary, maxEntries, maxBytes],
        ),
      );
      const [status] = parseReply(saveReply, raw, SAVE_NAMED.name);
      if (status !== 'ok') throw libraryFullError(status, this.#library, Buffer.byteLength(document));
    });
  }

  loadNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocument | null> {
    return this.#bounded(async () => {
      assertSavedName(name);
      const { saved } = this.#keys.workspace(workspace);
      const raw = await translateFailure(() => this.#client.hget(saved, name));
      return raw === null ? null : decodeSavedDocument(raw, `${saved} (${name})`);
    });
  }

  listNamed(workspace: WorkspaceKey): Promise<readonly SavedDocumentSummary[]> {
    return this.#bounded(async () => {
      const { savedIndex } = this.#keys.workspace(workspace);
      const index = await translateFailure(() => this.#client.hgetall(savedIndex));
      return Object.entries(index)
        .map(([name, raw]) => ({ name, ...parseStored(summaryJson, raw, `${savedIndex} (${name})`) }))
        .sort((a, b) => compareSavedNames(a.name, b.name));
    });
  }

  deleteNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocumentSummary | null> {
    return this.#bounded(async () => {
      assertSavedName(name);
      const keys = this.#keys.workspace(workspace);
      const raw = await translateFailure(() =>
        runScript(this.#client, DELETE_NAMED, [keys.saved, keys.savedIndex], [name]),
      );
      // Lua's false arrives as null.
      if (raw === null) return null;
      return { name, ...parseStored(summaryJson, String(raw), `${keys.savedIndex} (${name})`) };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsClient) return;
    try {
      await withTimeout(this.#client.quit(), this.#timeoutMs);
    } catch {
      // Unreachable Redis: dropping the socket is all close() can still do.
    }
    this.#client.disconnect();
  }

  async #readRaw(keys: ChannelKeys): Promise<z.infer<typeof readReply>> {
    return this.#run(READ, keys, [this.#ttlSeconds], readReply, 0);
  }

  async #historyRaw(keys: ChannelKeys, count: number): Promise<HistoryEntry[]> {
    const reply = await this.#run(HISTORY, keys, [this.#ttlSeconds, count], listReply, 0);
    return reply.slice(2).flatMap((raw) => (raw === null ? [] : [decodeHistoryEntry(raw, keys.history)]));
  }

  /** Runs a channel script, validates its reply and feeds the Redis time it carries to the clock. */
  async #run<T extends readonly unknown[]>(
    script: LuaScript,
    keys: ChannelKeys,
    args: readonly (string | number)[],
    reply: z.ZodType<T>,
    clockAt: number,
  ): Promise<T> {
    const sentAt = this.#now();
    const raw = await translateFailure(() =>
      runScript(this.#client, script, [keys.session, keys.history], args),
    );
    const parsed = parseReply(reply, raw, script.name);
    const seconds: unknown = parsed[clockAt];
    const micros: unknown = parsed[clockAt + 1];
    if (typeof seconds === 'string' && typeof micros === 'string') {
      this.#clock.observe(sentAt, this.#now(), seconds, micros);
    }
    return parsed;
  }

  /** Bounds a whole store call, retries and the clock probe included, by commandTimeoutMs. */
  async #bounded<T>(work: (deadline: number) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StorageUnavailableError('The session store is closed; nothing was changed.');
    const deadline = this.#now() + this.#timeoutMs;
    return withTimeout(work(deadline), this.#timeoutMs);
  }
}

/**
 * An estimate of (Redis clock - local clock) with an error bound, NTP style: a sample's error is
 * half its round trip, and a sample only replaces a better one once that has aged (drift).
 */
class RedisClock {
  static readonly #driftPerMs = 1e-4;
  #offset = 0;
  #error = Number.POSITIVE_INFINITY;
  #at = 0;

  constructor(
    private readonly replyMarginMs: number,
    private readonly now: () => number,
  ) {}

  get known(): boolean {
    return Number.isFinite(this.#error);
  }

  forget(): void {
    this.#error = Number.POSITIVE_INFINITY;
  }

  observe(sentAt: number, receivedAt: number, seconds: string, micros: string): void {
    const server = Number(seconds) * 1000 + Number(micros) / 1000;
    if (!Number.isFinite(server)) return;
    const error = (receivedAt - sentAt) / 2;
    if (error > this.#currentError(receivedAt)) return;
    this.#offset = server - (sentAt + receivedAt) / 2;
    this.#error = error;
    this.#at = receivedAt;
  }

  /**
   * The last Redis time at which a write may still be applied so that its reply (which needs
   * `replyMarginMs` to travel) reaches the caller before it gives up at `localDeadline`.
   */
  fence(localDeadline: number): number {
    if (!this.known) return 0;
    return Math.floor(localDeadline + this.#offset - this.#currentError(this.now()) - this.replyMarginMs);
  }

  #currentError(now: number): number {
    return this.#error + (now - this.#at) * RedisClock.#driftPerMs;
  }
}

function parseReply<T>(schema: z.ZodType<T>, raw: unknown, script: string): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new Error(`Unexpected reply from Redis script "${script}": ${parsed.error.message}`);
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new AitwsError(
      'CONFIG',
      `RedisSessionStore option ${name} must be a positive integer, got ${value}.`,
    );
  }
  return value;
}
