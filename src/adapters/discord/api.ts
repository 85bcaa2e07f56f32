/**
 * The Discord REST calls this adapter makes, and nothing more, over discord.js's REST client
 * (rate limits, retries, multipart uploads). Interaction callbacks and webhook follow-ups are
 * authorised by the interaction token alone; only channel posts and registration need the bot's.
 */
import { DiscordAPIError, DiscordjsError, DiscordjsErrorCodes, HTTPError, REST, Routes } from 'discord.js';
import { Agent } from 'undici';
import { maskSecrets } from '../../document/redact.js';
import { AitwsError } from '../../errors.js';
import type { MessageBody, OutgoingFile } from './render.js';

/** Discord's documented REST base; DISCORD_API_URL replaces it for tests and proxies. */
export const DEFAULT_API_URL = 'https://discord.com/api';

/** An interaction response; `type` is Discord's InteractionResponseType. */
export interface CallbackBody {
  readonly type: number;
  readonly data?: object;
}

export interface DiscordApi {
  callback(
    interactionId: string,
    token: string,
    body: CallbackBody,
    files?: readonly OutgoingFile[],
  ): Promise<void>;
  editOriginal(token: string, body: Partial<MessageBody>, files?: readonly OutgoingFile[]): Promise<void>;
  deleteOriginal(token: string): Promise<void>;
  followUp(token: string, body: MessageBody, files?: readonly OutgoingFile[]): Promise<void>;
  /** After the interaction token has expired: a plain bot message in the channel. */
  postToChannel(channelId: string, body: MessageBody, files?: readonly OutgoingFile[]): Promise<void>;
  /** Bulk overwrite: global, or one server's (instant, for testing). */
  putCommands(payload: readonly object[], guildId?: string): Promise<unknown>;
}

/**
 * discord.js's own undici, named explicitly: without it requests go through whichever undici set
 * the process-wide dispatcher first, and Slack's (a newer major) cannot send discord.js's
 * multipart bodies, so every answer with a file failed once Bolt had loaded first.
 */
export function discordAgent(): Agent {
  return new Agent();
}

export function createRest(options: { token: string | undefined; apiUrl: string | undefined }): REST {
  const rest = new REST({ api: options.apiUrl ?? DEFAULT_API_URL, version: '10', agent: discordAgent() });
  if (options.token !== undefined) rest.setToken(options.token);
  return rest;
}

/**
 * Why a call to Discord failed: Discord (or something in front of it) answered with an error, or
 * nothing answered at all. The two need different fixes, so they are never reported alike.
 */
export type DiscordFailure =
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string }
  | { readonly kind: 'unreachable'; readonly reason: string };

/**
 * What actually went wrong under a failed request: fetch says only "fetch failed" and keeps
 * ECONNREFUSED or ENOTFOUND as its cause; a connection tried on several addresses fails with
 * an AggregateError of each.
 */
function networkReason(error: unknown): string {
  let current = error;
  while (current instanceof Error) {
    const next: unknown = current instanceof AggregateError ? current.errors[0] : current.cause;
    if (!(next instanceof Error)) break;
    current = next;
  }
  if (!(current instanceof Error)) return maskSecrets(String(current));
  const code = 'code' in current ? String(current.code) : current.name;
  return maskSecrets(current.message || code);
}

export function classifyDiscordError(error: unknown): DiscordFailure {
  // discord.js turns the 401 of its first call, GET /gateway/bot, into this.
  if (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid) {
    return { kind: 'refused', status: 401, reason: '401: Unauthorized' };
  }
  if (error instanceof DiscordAPIError || error instanceof HTTPError) {
    // Discord's own messages start with the status ("401: Unauthorized"); a proxy's may not.
    const message = maskSecrets(error.message);
    const reason = message.startsWith(String(error.status)) ? message : `${error.status} ${message}`;
    return { kind: 'refused', status: error.status, reason };
  }
  return { kind: 'unreachable', reason: networkReason(error) };
}

/** Where the REST calls go, without any path or credentials, for messages. */
export function discordOrigin(apiUrl: string | undefined): string {
  return new URL(apiUrl ?? DEFAULT_API_URL).origin;
}

/** A failed start-up call (the gateway login, the token check) as the one line `aitws serve` prints. */
export function discordStartError(error: unknown, apiUrl: string | undefined): AitwsError {
  const failure = classifyDiscordError(error);
  const origin = discordOrigin(apiUrl);
  if (failure.kind === 'unreachable') {
    return new AitwsError('NOT_AVAILABLE', `could not reach Discord at ${origin} (${failure.reason})`, {
      cause: error,
      retryable: true,
    });
  }
  if (failure.status === 401) {
    return new AitwsError(
      'CONFIG',
      'Discord refused DISCORD_TOKEN (401: Unauthorized): use the bot token from the Developer Portal, your application → Bot → Reset Token',
      { cause: error },
    );
  }
  return new AitwsError('NOT_AVAILABLE', `Discord at ${origin} answered ${failure.reason}`, {
    cause: error,
    retryable: true,
  });
}

/**
 * Checks a bot token with GET /gateway/bot: the call gateway mode's login makes first, so both
 * modes refuse a bad token the same way, at start, and it needs nothing but a bot token.
 */
export async function checkBotToken(options: { token: string; apiUrl: string | undefined }): Promise<void> {
  try {
    await createRest(options).get(Routes.gatewayBot());
  } catch (error) {
    throw discordStartError(error, options.apiUrl);
  }
}

function rawFiles(files: readonly OutgoingFile[] | undefined): {
  files?: { name: string; data: Buffer; contentType: string }[];
} {
  if (files === undefined || files.length === 0) return {};
  return { files: files.map((f) => ({ name: f.name, data: f.data, contentType: f.contentType })) };
}

/** Ephemeral is meaningless outside an interaction, and Discord rejects it there. */
function channelBody(body: MessageBody): object {
  const { flags, ...rest } = body;
  return { ...rest, flags: flags & ~64 };
}

export function createDiscordApi(
  rest: REST,
  options: { applicationId: string; hasBotToken: boolean },
): DiscordApi {
  const { applicationId } = options;
  const needToken = (what: string): void => {
    if (!options.hasBotToken) throw new Error(`${what} needs DISCORD_TOKEN`);
  };
  return {
    async callback(interactionId, token, body, files) {
      await rest.post(Routes.interactionCallback(interactionId, token), {
        body,
        auth: false,
        ...rawFiles(files),
      });
    },
    async editOriginal(token, body, files) {
      await rest.patch(Routes.webhookMessage(applicationId, token, '@original'), {
        body,
        auth: false,
        ...rawFiles(files),
      });
    },
    async deleteOriginal(token) {
      await rest.delete(Routes.webhookMessage(applicationId, token, '@original'), { auth: false });
    },
    async followUp(token, body, files) {
      await rest.post(Routes.webhook(applicationId, token), { body, auth: false, ...rawFiles(files) });
    },
    async postToChannel(channelId, body, files) {
      needToken('Posting to a channel');
      await rest.post(Routes.channelMessages(channelId), { body: channelBody(body), ...rawFiles(files) });
    },
    async putCommands(payload, guildId) {
      needToken('Registering commands');
      const route =
        guildId === undefined
          ? Routes.applicationCommands(applicationId)
          : Routes.applicationGuildCommands(applicationId, guildId);
      return rest.put(route, { body: payload });
    },
  };
}
