/** What every Slack handler shares: the core's entry points and the way back to Slack. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { Invocation } from '../../commands/types.js';
import type { Limits } from '../../document/types.js';
import type { InteractionStore } from '../../session/interaction-port.js';
import type { ChannelKey } from '../../session/port.js';
import type { InOrder } from '../in-order.js';
import type { SlackIo } from './deliver.js';

/** Slack's replay window: a signed request older (or newer) than this is refused. */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60;

/** The signature an HTTP request was verified with; Socket Mode requests carry none. */
export interface SignedRequest {
  readonly signature: string;
  /** Seconds since the epoch, as signed. */
  readonly timestamp: number;
}

export function signedRequest(headers: IncomingHttpHeaders): SignedRequest | undefined {
  const signature = headers['x-slack-signature'];
  const timestamp = Number(headers['x-slack-request-timestamp']);
  if (typeof signature !== 'string' || !Number.isSafeInteger(timestamp)) return undefined;
  return { signature, timestamp };
}

export function isSignedRequest(value: unknown): value is SignedRequest {
  return (
    typeof value === 'object' &&
    value !== null &&
    'signature' in value &&
    typeof value.signature === 'string' &&
    'timestamp' in value &&
    typeof value.timestamp === 'number'
  );
}

export interface BotIdentity {
  readonly botId?: string;
  readonly botUserId?: string;
}

export interface HandlerDeps extends SlackIo {
  readonly dispatcher: Dispatcher;
  readonly interactions: InteractionStore;
  readonly limits: Limits;
  readonly botToken: string;
  /** Hosts besides *.slack.com that may receive the bot token when downloading a file. */
  readonly extraHosts: readonly string[];
  /** Keeps the answers to clicks on one message in the order the core gave them. */
  readonly inOrder: InOrder;
  identity(): BotIdentity;
}

export function channelKey(team: string, channel: string): ChannelKey {
  return { platform: 'slack', workspace: team, channel };
}

/**
 * `add roles …` (or `/add roles …`) as the core's `/add roles …`; nothing typed means help.
 */
export function commandText(typed: string): string {
  const text = typed.trim().replace(/^\/+/, '');
  return text === '' ? '/help' : `/${text}`;
}

/** `extra`: a document handed over with the command, or that a paste form can be opened. */
export function invocation(
  text: string,
  actor: Invocation['actor'],
  channel: ChannelKey,
  extra: Pick<Invocation, 'content' | 'supportsDocumentForm'> = {},
): Invocation {
  return {
    text,
    actor,
    channel,
    // Slack renders buttons, so the core may offer Replace/Cancel instead of asking for force=true.
    supportsButtons: true,
    ...extra,
  };
}
