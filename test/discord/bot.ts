/**
 * The bot under test: the real `startServer` with the real Discord adapter (gateway or HTTP
 * interactions) against the fake Discord, and helpers that send an interaction and collect what
 * the bot answered, however it answered (callback, deferral + edit, follow-up).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDiscordAdapter, type DiscordAdapterOptions } from '../../src/adapters/discord/index.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, silentLogger } from '../../src/logging.js';
import { type RunningServer, startServer } from '../../src/serve.js';
import type { FakeDiscord, RecordedCall, RecordedFile } from '../support/fake-discord.js';
import type { Where } from '../support/fake-discord-payloads.js';

export interface BotOptions {
  readonly fake: FakeDiscord;
  readonly redisUrl?: string;
  /** Sets HTTP interactions mode. */
  readonly publicKeyHex?: string;
  readonly tuning?: DiscordAdapterOptions['tuning'];
  readonly nowSeconds?: () => number;
  /** Reuse a data dir / Redis prefix to simulate a restart of the same deployment. */
  readonly dataDir?: string;
  readonly prefix?: string;
  /** More variables for the bot's config (AITWS_ADMINS, say). */
  readonly env?: Record<string, string>;
}

export interface Bot {
  readonly running: RunningServer;
  readonly where: Where;
  readonly dataDir: string;
  readonly prefix: string;
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export async function startBot(options: BotOptions): Promise<Bot> {
  const { fake } = options;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'aitws-discord-')));
  const prefix = options.prefix ?? `dsc-${randomBytes(6).toString('hex')}`;
  const config = loadConfig({
    AITWS_DATA_DIR: dataDir,
    AITWS_REDIS_PREFIX: prefix,
    PORT: '0',
    HOST: '127.0.0.1',
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    ...(options.redisUrl === undefined
      ? {}
      : { REDIS_URL: options.redisUrl, AITWS_REDIS_TIMEOUT_MS: '2000' }),
    ...(options.publicKeyHex === undefined ? {} : { DISCORD_PUBLIC_KEY: options.publicKeyHex }),
    ...options.env,
  });
  // AITWS_TEST_LOG=debug shows what the adapter did when a test fails.
  const level = process.env.AITWS_TEST_LOG;
  const logger = level === 'debug' || level === 'info' ? createLogger({ level }) : silentLogger;
  const running = await startServer(config, logger, [
    ({ config: c, core, logger }) =>
      c.discord === undefined
        ? undefined
        : createDiscordAdapter({
            discord: c.discord,
            core,
            logger,
            documentBytes: c.limits.documentBytes,
            ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
            ...(options.nowSeconds === undefined ? {} : { nowSeconds: options.nowSeconds }),
          }),
  ]);
  if (running === undefined) throw new Error('the Discord adapter did not start');
  return {
    running,
    where: { applicationId: fake.applicationId },
    dataDir,
    prefix,
    baseUrl: `http://127.0.0.1:${running.port}`,
    async stop() {
      await running.stop();
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  /** The first answer: the callback (gateway) or the HTTP response body. */
  readonly first: Record<string, unknown>;
  /** The call that carries the message (the callback itself, or the edit / follow-up after a deferral). */
  readonly message: Record<string, unknown>;
  readonly content: string;
  readonly files: readonly RecordedFile[];
  readonly calls: readonly RecordedCall[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Deferred answers (5, 6) and files sent in an edit are completed by a later webhook call. */
export async function collectAnswer(
  fake: FakeDiscord,
  token: string,
  first: Record<string, unknown>,
  firstFiles: readonly RecordedFile[] = [],
  timeoutMs = 10_000,
): Promise<Answer> {
  const type = first.type;
  if (type === 5 || type === 6) {
    const later = await fake.waitForCall(
      (c) => c.target === token && (c.kind === 'edit' || c.kind === 'followup' || c.kind === 'channel'),
      timeoutMs,
    );
    return {
      first,
      message: later.body,
      content: String(later.body.content ?? ''),
      files: later.files,
      calls: fake.callsFor(token),
    };
  }
  const data = record(first.data);
  return {
    first,
    message: data,
    content: String(data.content ?? ''),
    files: firstFiles,
    calls: fake.callsFor(token),
  };
}

/** Gateway mode: dispatches INTERACTION_CREATE and waits for the bot's answer over REST. */
export async function viaGateway(
  fake: FakeDiscord,
  payload: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<Answer> {
  const token = String(payload.token);
  fake.gateway.dispatch('INTERACTION_CREATE', payload);
  const callback = await fake.waitForCall((c) => c.kind === 'callback' && c.target === token, timeoutMs);
  return collectAnswer(fake, token, callback.body, callback.files, timeoutMs);
}
