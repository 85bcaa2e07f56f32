/**
 * AccessStore on Redis (standalone, Sentinel or Cluster); keys in redis-keys.ts.
 *
 * The access record is one string written by compare-and-set in Lua (lua/access-write.lua). Each
 * channel's audit trail is a Redis Stream whose entry ids are the audit ids, trimmed with
 * `MAXLEN ~ auditMaxLength`: the approximate form trims whole stream nodes only, so a trail keeps
 * at least the newest auditMaxLength entries and at most about that plus one node
 * (stream-node-max-entries, 100 by default), at a fraction of an exact trim's cost.
 *
 * exportAudit cannot SCAN (one node of a Cluster each), so every append first adds its channel
 * to one registry set; a channel registered whose stream write then failed merely has no entries.
 *
 * Exports page with exclusive XRANGE starts, which need Redis 6.2 or later.
 *
 * Every call settles within commandTimeoutMs and fails as StorageUnavailableError. Unlike the
 * session store's writes, a CAS write that times out is not fenced: it may still be applied when
 * it reaches Redis late.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AitwsError } from '../errors.js';
import {
  accessStateSchema,
  assertExpectedRevision,
  auditEntryInputSchema,
  auditInputOf,
  emptyAccess,
  matchesAuditChannel,
  matchesAuditFilter,
  recentCount,
  stateOf,
} from './access-codec.js';
import type {
  AccessRecord,
  AccessState,
  AccessStore,
  AuditEntry,
  AuditEntryInput,
  AuditFilter,
} from './access-port.js';
import { parseStored, unreadableDataError } from './codec.js';
import { PLATFORMS } from './file-store-channel.js';
import { type ChannelKey, channelId } from './port.js';
import { runScript, type ScriptClient, translateFailure, withTimeout } from './redis-call.js';
import { createRedisKeys, type RedisKeys } from './redis-keys.js';
import { ACCESS_WRITE } from './redis-scripts.js';

type StreamEntry = [id: string, fields: string[]];

/** The commands this store sends besides scripts; ioredis' Redis and Cluster both satisfy it. */
export interface AccessRedisClient extends ScriptClient {
  get(key: string): Promise<string | null>;
  sadd(key: string, member: string): Promise<number>;
  smembers(key: string): Promise<string[]>;
  xadd(key: string, ...args: (string | number)[]): Promise<string | null>;
  xrange(key: string, start: string, end: string, count: 'COUNT', n: number): Promise<StreamEntry[]>;
  xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<StreamEntry[]>;
}

export interface RedisAccessStoreOptions {
  readonly prefix: string;
  /** Upper bound for every Redis command. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** Entries kept per channel's trail, at least (see the module comment on `~`). */
  readonly auditMaxLength: number;
}

const ENTRY_FIELD = 'entry';
const EXPORT_PAGE = 500;
/** Channels remembered as registered; past this the set starts over (registering again is harmless). */
const REGISTERED_MEMORY = 10_000;

const recordSchema = z.object({ revision: z.number().int().min(1), state: accessStateSchema });
const writeReply = z.tuple([z.enum(['ok', 'conflict', 'unreadable']), z.number().int()]);
const registryMember = z.tuple([z.enum(PLATFORMS), z.string(), z.string()]);

export class RedisAccessStore implements AccessStore {
  readonly #client: AccessRedisClient;
  readonly #keys: RedisKeys;
  readonly #timeoutMs: number;
  readonly #maxLength: number;
  readonly #registered = new Set<string>();

  constructor(client: AccessRedisClient, options: RedisAccessStoreOptions) {
    this.#client = client;
    this.#keys = createRedisKeys(options.prefix);
    this.#timeoutMs = positiveInt('commandTimeoutMs', options.commandTimeoutMs ?? 2000);
    this.#maxLength = positiveInt('auditMaxLength', options.auditMaxLength);
  }

  async read(channel: ChannelKey): Promise<AccessRecord> {
    const key = this.#keys.access(channel).access;
    const raw = await this.#call(() => this.#client.get(key));
    if (raw === null) return emptyAccess();
    const { revision, state } = parseStored(recordSchema, raw, key);
    return { revision, ...state };
  }

  async write(channel: ChannelKey, expectedRevision: number, state: AccessState): Promise<boolean> {
    assertExpectedRevision(expectedRevision);
    const key = this.#keys.access(channel).access;
    const args = [expectedRevision, JSON.stringify(stateOf(state)), randomUUID()];
    const raw = await this.#call(() => runScript(this.#client, ACCESS_WRITE, [key], args));
    const parsed = writeReply.safeParse(raw);
    if (!parsed.success) throw new Error(`Unexpected reply from Redis script "${ACCESS_WRITE.name}"`);
    const [status] = parsed.data;
    if (status === 'unreadable') throw unreadableDataError(key, 'it is not an access record');
    return status === 'ok';
  }

  async appendAudit(entry: AuditEntryInput): Promise<AuditEntry> {
    const input = auditInputOf(entry);
    await this.#register(input.channel);
    const { audit } = this.#keys.access(input.channel);
    const json = JSON.stringify(input);
    const id = await this.#call(() =>
      this.#client.xadd(audit, 'MAXLEN', '~', this.#maxLength, '*', ENTRY_FIELD, json),
    );
    if (id === null) throw new Error(`XADD to ${audit} added nothing`);
    // `input` is a fresh copy of only the port's fields: what was stored, without decoding it again.
    return { id, ...input };
  }

  async recentAudit(channel: ChannelKey, limit: number): Promise<readonly AuditEntry[]> {
    const count = recentCount(limit);
    if (count === 0) return [];
    const { audit } = this.#keys.access(channel);
    const page = await this.#call(() => this.#client.xrevrange(audit, '+', '-', 'COUNT', count));
    return page.map((item) => decodeEntry(item, audit));
  }

  async *exportAudit(filter: AuditFilter): AsyncIterable<AuditEntry> {
    const { auditIndex } = this.#keys;
    const members = await this.#call(() => this.#client.smembers(auditIndex));
    const channels = members
      .sort()
      .map((member) => {
        const [platform, workspace, channel] = parseStored(registryMember, member, auditIndex);
        return { platform, workspace, channel };
      })
      .filter((channel) => matchesAuditChannel(channel, filter));
    for (const channel of channels) {
      const { audit } = this.#keys.access(channel);
      let start = '-';
      for (;;) {
        const page = await this.#call(() => this.#client.xrange(audit, start, '+', 'COUNT', EXPORT_PAGE));
        for (const item of page) {
          const entry = decodeEntry(item, audit);
          if (matchesAuditFilter(entry, filter)) yield entry;
        }
        const last = page.at(-1);
        if (last === undefined || page.length < EXPORT_PAGE) break;
        start = `(${last[0]}`;
      }
    }
  }

  /** The client belongs to whoever built it (the session store closes the shared one). */
  async close(): Promise<void> {}

  async #register(channel: ChannelKey): Promise<void> {
    const member = channelId(channel);
    if (this.#registered.has(member)) return;
    await this.#call(() => this.#client.sadd(this.#keys.auditIndex, member));
    if (this.#registered.size >= REGISTERED_MEMORY) this.#registered.clear();
    this.#registered.add(member);
  }

  #call<T>(send: () => Promise<T>): Promise<T> {
    return withTimeout(translateFailure(send), this.#timeoutMs);
  }
}

function decodeEntry([id, fields]: StreamEntry, key: string): AuditEntry {
  const at = fields.indexOf(ENTRY_FIELD);
  const json = at % 2 === 0 ? fields[at + 1] : undefined;
  if (json === undefined) throw unreadableDataError(key, `its entry ${id} has no "${ENTRY_FIELD}" field`);
  return { id, ...parseStored(auditEntryInputSchema, json, `${key} (${id})`) };
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new AitwsError(
      'CONFIG',
      `RedisAccessStore option ${name} must be a positive integer, got ${value}.`,
    );
  }
  return value;
}
