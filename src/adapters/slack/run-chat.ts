/**
 * A run's messages in Slack (progress, approval requests, chat.notify): posted with the bot token
 * through chat.postMessage and edited with chat.update. The text is rendered like every other
 * reply (render.ts): escaped, so `<!channel>` in a document shows as text and pings nobody, cut
 * into sections Slack accepts, buttons in an actions block.
 */
import { webApi } from '@slack/bolt';
import { COMMANDS } from '../../commands/registry.js';
import type { Reply } from '../../commands/reply.js';
import type { SlackConfig } from '../../config.js';
import { AitwsError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { NotifyRequest, PostedMessage } from '../../runtime/executor.js';
import type { RunChat } from '../../runtime/run-services.js';
import type { ChannelKey } from '../../session/port.js';
import { slackApiUrl } from './adapter.js';
import { boltLogger } from './bolt-logger.js';
import { SLASH_COMMAND } from './declared.js';
import { truncateEscaped } from './mrkdwn.js';
import { type Block, renderReply } from './render.js';

const WEB_API_TIMEOUT_MS = 10_000;
/**
 * Besides 3,000 characters a section and 50 blocks, Slack refuses a message whose blocks hold
 * more than about 12,000 characters in all (msg_blocks_too_long, not documented); a run's
 * message is cut well before that.
 */
export const RUN_MESSAGE_TEXT_BUDGET = 10_000;

/**
 * On a 429 the WebClient (rejectRateLimitedCalls false) waits the Retry-After Slack sent, with its
 * whole queue paused, and then counts a failed attempt: these retries are what makes it try again.
 * They also cover a 5xx or a dropped connection, so a post may, rarely, show twice; runs are
 * at-least-once anyway, and a second approval message's buttons work like the first's.
 */
export const RUN_CHAT_RETRY: webApi.RetryOptions = {
  retries: 3,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 5000,
};

export interface SlackRunChatOptions {
  readonly logger: Logger;
  /** Registry command names, so `/approve RUN` in a run's text reads `/aitws approve RUN`. */
  readonly commandNames?: readonly string[];
}

/** Slack's answers that no retry will change: said with what to do about them. */
const REFUSALS: Readonly<Record<string, string>> = {
  not_in_channel:
    'Invite the bot to the channel (/invite @aitws), or give the app the chat:write.public scope for public channels.',
  channel_not_found: 'Invite the bot to the channel (/invite @aitws); private channels need an invitation.',
  is_archived: 'The channel is archived; unarchive it or send the run somewhere else.',
  message_not_found: 'The message was deleted; nothing to update.',
  cant_update_message: 'The message was not posted by this bot and cannot be edited.',
  invalid_auth: 'Check SLACK_BOT_TOKEN (the Bot User OAuth Token, xoxb-…).',
  token_revoked: 'SLACK_BOT_TOKEN was revoked; reinstall the app and use its new token.',
  account_inactive: 'SLACK_BOT_TOKEN belongs to a deactivated app or user; reinstall the app.',
  missing_scope: 'The app lacks the chat:write scope; add it and reinstall the app.',
};

function platformCode(error: object): string | undefined {
  const data = 'data' in error ? error.data : undefined;
  if (typeof data !== 'object' || data === null || !('error' in data)) return undefined;
  return typeof data.error === 'string' ? data.error : undefined;
}

/** A failed call as a user-safe error: a refusal with its fix, or a retryable outage. */
export function slackRunChatError(error: unknown, what: string, channel: string): AitwsError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === webApi.ErrorCode.PlatformError && typeof error === 'object' && error !== null) {
    const reason = platformCode(error) ?? 'error';
    const hint = REFUSALS[reason];
    return new AitwsError('NOT_AVAILABLE', `Slack refused to ${what} in channel ${channel} (${reason}).`, {
      cause: error,
      retryable: hint === undefined,
      ...(hint === undefined ? {} : { hint }),
    });
  }
  return new AitwsError('NOT_AVAILABLE', `Could not ${what} in Slack channel ${channel}: ${outage(error)}.`, {
    cause: error,
    retryable: true,
  });
}

function outage(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'Slack did not answer';
  if ('statusCode' in error) return `Slack answered HTTP ${String(error.statusCode)}`;
  // What the WebClient throws once its retries after a 429 are spent.
  if (error instanceof Error && error.message.startsWith('A rate limit was exceeded'))
    return 'Slack is still rate-limiting this bot';
  return 'Slack is not reachable';
}

export class SlackRunChat implements RunChat {
  readonly #client: webApi.WebClient;
  readonly #commandNames: readonly string[];

  constructor(client: webApi.WebClient, options: SlackRunChatOptions) {
    this.#client = client;
    this.#commandNames = options.commandNames ?? COMMANDS.map((command) => command.name);
    const { logger } = options;
    client.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number, call: { url?: string }) =>
      logger.warn({ retryAfterSeconds: seconds, url: call.url }, 'Slack rate-limited a run message; waiting'),
    );
  }

  async post(channel: ChannelKey, request: NotifyRequest): Promise<PostedMessage | undefined> {
    const { text, blocks } = this.#render(request);
    try {
      const result = await this.#client.chat.postMessage({
        channel: channel.channel,
        text,
        blocks: [...blocks],
        unfurl_links: false,
        unfurl_media: false,
        // Plain text stays plain: no @name or #channel is turned into a ping or a link.
        link_names: false,
        parse: 'none',
      });
      return result.ts === undefined ? undefined : { channel, messageId: result.ts };
    } catch (error) {
      throw slackRunChatError(error, 'post', channel.channel);
    }
  }

  /** Blocks always go along: chat.update without them would keep the old buttons. */
  async update(message: PostedMessage, request: NotifyRequest): Promise<void> {
    const { text, blocks } = this.#render(request);
    try {
      await this.#client.chat.update({
        channel: message.channel.channel,
        ts: message.messageId,
        text,
        blocks: [...blocks],
        link_names: false,
        parse: 'none',
      });
    } catch (error) {
      throw slackRunChatError(error, 'update a message', message.channel.channel);
    }
  }

  #render(request: NotifyRequest): { text: string; blocks: readonly Block[] } {
    // Slack refuses a message with no text at all.
    const text = request.text.trim() === '' ? '(no text)' : request.text;
    const reply: Reply = {
      ok: true,
      visibility: 'channel',
      blocks: [{ kind: 'text', text }],
      warnings: [],
      buttons: request.buttons ?? [],
      attachments: [],
    };
    const rendered = renderReply(reply, { commandNames: this.#commandNames, slashCommand: SLASH_COMMAND });
    return { text: rendered.text, blocks: withinBudget(rendered.blocks, RUN_MESSAGE_TEXT_BUDGET) };
  }
}

/** The sections up to `budget` characters in all, the last one cut with an ellipsis; buttons stay. */
function withinBudget(blocks: readonly Block[], budget: number): Block[] {
  const kept: Block[] = [];
  let left = budget;
  let cut = false;
  for (const block of blocks) {
    if (block.type !== 'section' || block.text === undefined) kept.push(block);
    else if (cut) continue;
    else if (block.text.text.length <= left) {
      kept.push(block);
      left -= block.text.text.length;
    } else {
      kept.push({ ...block, text: { ...block.text, text: truncateEscaped(block.text.text, left) } });
      cut = true;
    }
  }
  return kept;
}

/** What the composition root registers for Slack; undefined when Slack is not configured. */
export function createSlackRunChat(
  config: SlackConfig | undefined,
  logger: Logger,
  options: { readonly commandNames?: readonly string[] } = {},
): SlackRunChat | undefined {
  if (config === undefined) return undefined;
  const apiUrl = slackApiUrl(config.apiUrl);
  const client = new webApi.WebClient(config.botToken, {
    ...(apiUrl === undefined ? {} : { slackApiUrl: apiUrl }),
    timeout: WEB_API_TIMEOUT_MS,
    retryConfig: RUN_CHAT_RETRY,
    // Stated, not left to the default: a 429 waits for Retry-After instead of failing the step.
    rejectRateLimitedCalls: false,
    logger: boltLogger(logger),
  });
  return new SlackRunChat(client, { logger, ...options });
}
