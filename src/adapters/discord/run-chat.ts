/**
 * A run's messages in Discord (progress, approval requests, chat.notify), posted and edited over
 * REST with the bot token: POST and PATCH /channels/{id}/messages. discord.js's REST client waits
 * out a 429 for as long as Retry-After says and retries a 5xx.
 *
 * Runs post plain channel messages with the bot token from the start, never through an
 * interaction's webhook: editing one later (a progress update, an approval's decision) never
 * depends on an interaction token, which Discord expires after 15 minutes, while a run may wait
 * for days.
 *
 * discord.js takes about a second to import (see wiring.ts), so it is loaded at the first post.
 */
import type { REST } from 'discord.js';
import { z } from 'zod';
import type { DiscordConfig } from '../../config.js';
import { AitwsError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { NotifyRequest, PostedMessage } from '../../runtime/executor.js';
import type { RunChat } from '../../runtime/run-services.js';
import type { ChannelKey } from '../../session/port.js';
import type { DiscordFailure } from './api.js';

/** Discord's limits for a message's content and its buttons. */
export const MAX_CONTENT = 2000;
export const MAX_CUSTOM_ID = 100;
const BUTTONS_PER_ROW = 5;
const MAX_ROWS = 5;
const MAX_LABEL = 80;
/** User content is full of URLs; previews of them would bury the message. */
const SUPPRESS_EMBEDS = 4;

interface ButtonComponent {
  readonly type: 2;
  readonly style: 1 | 2 | 4;
  readonly label: string;
  readonly custom_id: string;
}

export interface RunMessageBody {
  readonly content: string;
  readonly flags: number;
  /** Nobody is pinged, whatever a document put into the text (@everyone, <@id>, <@&role>). */
  readonly allowed_mentions: { readonly parse: readonly never[] };
  readonly components: readonly { readonly type: 1; readonly components: readonly ButtonComponent[] }[];
}

/** The parts of discord.js this needs, loaded on first use. */
interface Toolkit {
  readonly rest: REST;
  readonly escapeText: (text: string) => string;
  readonly classify: (error: unknown) => DiscordFailure;
  readonly messages: (channelId: string) => `/${string}`;
  readonly message: (channelId: string, messageId: string) => `/${string}`;
}

async function loadToolkit(token: string, apiUrl: string | undefined): Promise<Toolkit> {
  const [{ Routes, escapeMarkdown }, { createRest, classifyDiscordError }] = await Promise.all([
    import('discord.js'),
    import('./api.js'),
  ]);
  return {
    rest: createRest({ token, apiUrl }),
    escapeText: (text) => escapeMarkdown(text),
    classify: classifyDiscordError,
    messages: (channelId) => Routes.channelMessages(channelId),
    message: (channelId, messageId) => Routes.channelMessage(channelId, messageId),
  };
}

/** At most `max` UTF-16 units, the cut marked with an ellipsis and never inside a surrogate pair. */
export function cutContent(text: string, max = MAX_CONTENT): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  const kept = text.slice(0, end);
  // A markdown escape cut in half would escape the ellipsis instead.
  const backslashes = /\\*$/.exec(kept)?.[0].length ?? 0;
  return `${backslashes % 2 === 1 ? kept.slice(0, -1) : kept}…`;
}

function style(button: NonNullable<NotifyRequest['buttons']>[number]): ButtonComponent['style'] {
  if (button.style === 'danger') return 4;
  return button.style === 'primary' ? 1 : 2;
}

/** Buttons in rows of five; one whose id Discord would refuse is left out (the text says the command). */
function buttonRows(request: NotifyRequest, logger: Logger): RunMessageBody['components'] {
  const rows: { type: 1; components: ButtonComponent[] }[] = [];
  const seen = new Set<string>();
  for (const button of request.buttons ?? []) {
    if (button.id.length > MAX_CUSTOM_ID || seen.has(button.id)) {
      logger.warn(
        { button: button.id.slice(0, MAX_CUSTOM_ID) },
        'Discord: a run button left out (id too long or twice)',
      );
      continue;
    }
    seen.add(button.id);
    let row = rows.at(-1);
    if (row === undefined || row.components.length === BUTTONS_PER_ROW) {
      if (rows.length === MAX_ROWS) break;
      row = { type: 1, components: [] };
      rows.push(row);
    }
    row.components.push({
      type: 2,
      style: style(button),
      label: button.label.slice(0, MAX_LABEL),
      custom_id: button.id,
    });
  }
  return rows;
}

export function runMessageBody(
  request: NotifyRequest,
  escapeText: (text: string) => string,
  logger: Logger,
): RunMessageBody {
  // Discord refuses a message with no content and nothing else.
  const text = request.text.trim() === '' ? '(no text)' : request.text;
  return {
    content: cutContent(escapeText(text)),
    flags: SUPPRESS_EMBEDS,
    allowed_mentions: { parse: [] },
    components: buttonRows(request, logger),
  };
}

const POSTED = z.object({ id: z.string().min(1) });

/** Discord's refusals that no retry will change, with what to do about them. */
function refusalHint(status: number): string | undefined {
  switch (status) {
    case 401:
      return 'Check DISCORD_TOKEN: the bot token from the Developer Portal, your application → Bot.';
    case 403:
      return 'Give the bot View Channel, Send Messages and Read Message History in that channel.';
    case 404:
      return 'The channel or the message no longer exists, or the bot cannot see it.';
    default:
      return status >= 400 && status < 500 ? 'Discord refused the message as sent.' : undefined;
  }
}

function chatError(toolkit: Toolkit, error: unknown, what: string, channelId: string): AitwsError {
  const failure = toolkit.classify(error);
  if (failure.kind === 'unreachable')
    return new AitwsError(
      'NOT_AVAILABLE',
      `Could not ${what} in Discord channel ${channelId}: Discord is not reachable.`,
      {
        cause: error,
        retryable: true,
      },
    );
  const hint = refusalHint(failure.status);
  return new AitwsError(
    'NOT_AVAILABLE',
    `Discord refused to ${what} in channel ${channelId} (${failure.reason}).`,
    {
      cause: error,
      retryable: hint === undefined,
      ...(hint === undefined ? {} : { hint }),
    },
  );
}

export class DiscordRunChat implements RunChat {
  readonly #token: string;
  readonly #apiUrl: string | undefined;
  readonly #logger: Logger;
  #toolkit: Promise<Toolkit> | undefined;

  constructor(options: { token: string; apiUrl: string | undefined; logger: Logger }) {
    this.#token = options.token;
    this.#apiUrl = options.apiUrl;
    this.#logger = options.logger;
  }

  async post(channel: ChannelKey, request: NotifyRequest): Promise<PostedMessage | undefined> {
    const toolkit = await this.#load();
    const body = runMessageBody(request, toolkit.escapeText, this.#logger);
    let answer: unknown;
    try {
      answer = await toolkit.rest.post(toolkit.messages(channel.channel), { body });
    } catch (error) {
      throw chatError(toolkit, error, 'post', channel.channel);
    }
    const posted = POSTED.safeParse(answer);
    if (!posted.success) {
      this.#logger.warn(
        { channel: channel.channel },
        'Discord: a posted run message came back without an id',
      );
      return undefined;
    }
    return { channel, messageId: posted.data.id };
  }

  /** Buttons not in `request` are removed: `components` is always sent. */
  async update(message: PostedMessage, request: NotifyRequest): Promise<void> {
    const toolkit = await this.#load();
    const body = runMessageBody(request, toolkit.escapeText, this.#logger);
    const channelId = message.channel.channel;
    try {
      await toolkit.rest.patch(toolkit.message(channelId, message.messageId), { body });
    } catch (error) {
      throw chatError(toolkit, error, 'update a message', channelId);
    }
  }

  #load(): Promise<Toolkit> {
    if (this.#toolkit === undefined) {
      const loading = loadToolkit(this.#token, this.#apiUrl);
      // A failed import is tried again at the next message rather than remembered.
      loading.catch(() => {
        this.#toolkit = undefined;
      });
      this.#toolkit = loading;
    }
    return this.#toolkit;
  }
}

/**
 * What the composition root registers for Discord; undefined when Discord is not configured, or
 * configured for HTTP interactions without DISCORD_TOKEN: answering needs no bot token, posting
 * in a channel does.
 */
export function createDiscordRunChat(
  config: DiscordConfig | undefined,
  logger: Logger,
): DiscordRunChat | undefined {
  if (config === undefined) return undefined;
  if (config.token === undefined) {
    logger.warn(
      {},
      'Discord runs cannot post: DISCORD_TOKEN is not set (HTTP interactions only). Progress, approval requests and chat.notify in Discord channels are not shown; set DISCORD_TOKEN to the bot token.',
    );
    return undefined;
  }
  return new DiscordRunChat({ token: config.token, apiUrl: config.apiUrl, logger });
}
