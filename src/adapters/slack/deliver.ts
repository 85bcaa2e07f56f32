/**
 * Sends a rendered Reply where the person will see it: in a slash command's ack when the core
 * answered in time (see on-command.ts), else through the interaction's response_url (slash
 * commands, buttons, shortcuts, the modal) or chat.postMessage/postEphemeral (app mentions).
 * Delivery runs after the ack, so it never throws: a failure is logged.
 */
import type { webApi } from '@slack/bolt';
import type { Reply } from '../../commands/reply.js';
import type { Logger } from '../../logging.js';
import { postJson } from './post-json.js';
import { type Block, type RenderedMessage, renderNotice, renderReply } from './render.js';
import { uploadFiles } from './upload.js';

export interface SlackIo {
  readonly client: webApi.WebClient;
  readonly logger: Logger;
  readonly commandNames: readonly string[];
  readonly slashCommand: string;
}

export type Destination =
  | {
      readonly kind: 'response_url';
      readonly url: string;
      readonly channel: string;
      readonly user: string;
      /** The answer takes the place of the message the interaction came from (a button's). */
      readonly replaceOriginal?: boolean;
    }
  | {
      readonly kind: 'chat';
      readonly channel: string;
      readonly user: string;
      readonly threadTs?: string | undefined;
    };

export const RESPONSE_URL_TIMEOUT_MS = 10_000;

export async function postToResponseUrl(url: string, payload: Record<string, unknown>): Promise<void> {
  const { status, body } = await postJson(url, payload, RESPONSE_URL_TIMEOUT_MS);
  if (status !== 200) throw new Error(`response_url answered HTTP ${status}: ${body.slice(0, 100)}`);
}

/** A message as a slash command's ack body or response_url payload: the same fields either way. */
export interface ResponseMessage {
  readonly response_type: 'in_channel' | 'ephemeral';
  readonly text: string;
  readonly blocks: Block[];
}

export function responseMessage(message: RenderedMessage, visibility: Reply['visibility']): ResponseMessage {
  return {
    response_type: visibility === 'channel' ? 'in_channel' : 'ephemeral',
    text: message.text,
    blocks: [...message.blocks],
  };
}

async function postMessage(
  io: SlackIo,
  destination: Destination,
  message: RenderedMessage,
  visibility: Reply['visibility'],
): Promise<void> {
  const { text, blocks } = message;
  if (destination.kind === 'response_url') {
    await postToResponseUrl(destination.url, {
      ...responseMessage(message, visibility),
      replace_original: destination.replaceOriginal === true,
    });
    return;
  }
  const thread = destination.threadTs === undefined ? {} : { thread_ts: destination.threadTs };
  if (visibility === 'channel') {
    await io.client.chat.postMessage({
      channel: destination.channel,
      text,
      blocks: [...blocks],
      unfurl_links: false,
      unfurl_media: false,
      // Plain text stays plain: no @name or #channel is turned into a ping or a link.
      link_names: false,
      parse: 'none',
      ...thread,
    });
  } else {
    await io.client.chat.postEphemeral({
      channel: destination.channel,
      user: destination.user,
      text,
      blocks: [...blocks],
      ...thread,
    });
  }
}

/** Slack's error code (`not_in_channel`) when the Web API refused, else the error's message. */
export function describeFailure(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'data' in error) {
    const { data } = error;
    if (typeof data === 'object' && data !== null && 'error' in data && typeof data.error === 'string') {
      return data.error;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

async function safely(io: SlackIo, what: string, send: () => Promise<void>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    io.logger.warn({ err: error, what }, 'could not answer in Slack');
    return false;
  }
}

export interface DeliverOptions {
  /** Shown under messages the whole channel sees: who did it, and what they typed. */
  readonly byline?: string;
}

export function renderFor(io: SlackIo, reply: Reply, options: DeliverOptions = {}): RenderedMessage {
  return renderReply(reply, {
    commandNames: io.commandNames,
    slashCommand: io.slashCommand,
    ...(reply.visibility === 'channel' && options.byline !== undefined ? { byline: options.byline } : {}),
  });
}

export async function deliver(
  io: SlackIo,
  destination: Destination,
  reply: Reply,
  options: DeliverOptions = {},
): Promise<void> {
  await deliverRendered(io, destination, reply, renderFor(io, reply, options));
}

/** As deliver, for a message already rendered (a slash command's answer that missed the ack). */
export async function deliverRendered(
  io: SlackIo,
  destination: Destination,
  reply: Reply,
  message: RenderedMessage,
): Promise<void> {
  let uploadFailure: string | undefined;
  if (message.uploads.length > 0) {
    const threadTs = destination.kind === 'chat' ? destination.threadTs : undefined;
    try {
      await uploadFiles(io.client, message.uploads, {
        channel: destination.channel,
        threadTs,
        comment: message.comment,
      });
    } catch (error) {
      uploadFailure = describeFailure(error);
      io.logger.warn({ err: error, channel: destination.channel }, 'Slack file upload failed');
    }
  }
  // The uploaded file's comment already is the short summary; only extras need a message. A
  // message to replace is always sent: without it the old one, buttons and all, would stay.
  const extras = reply.buttons.length > 0 || reply.warnings.length > 0;
  const replaces = destination.kind === 'response_url' && destination.replaceOriginal === true;
  if (message.uploads.length === 0 || uploadFailure !== undefined || extras || replaces) {
    await safely(io, 'reply', () => postMessage(io, destination, message, reply.visibility));
  }
  if (uploadFailure !== undefined) {
    const names = message.uploads.map((u) => u.filename).join(', ');
    const hint =
      uploadFailure === 'not_in_channel' || uploadFailure === 'channel_not_found'
        ? ` Invite the bot to this channel (/invite @aitws) so it can post files.`
        : '';
    await notify(io, destination, `I could not attach ${names} (${uploadFailure}).${hint}`);
  }
}

/** A short ephemeral note from the adapter itself (nothing to load, the download failed, …). */
export async function notify(io: SlackIo, destination: Destination, text: string): Promise<void> {
  await safely(io, 'notice', () => postMessage(io, destination, renderNotice(text), 'ephemeral'));
}
