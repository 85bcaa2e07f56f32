/**
 * The Discord REST calls this adapter makes, and nothing more, over discord.js's REST client
 * (rate limits, retries, multipart uploads). Interaction callbacks and webhook follow-ups are
 * authorised by the interaction token alone; only channel posts and registration need the bot's.
 */
import { REST, Routes } from 'discord.js';
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

export function createRest(options: { token: string | undefined; apiUrl: string | undefined }): REST {
  const rest = new REST({ api: options.apiUrl ?? DEFAULT_API_URL, version: '10' });
  if (options.token !== undefined) rest.setToken(options.token);
  return rest;
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
