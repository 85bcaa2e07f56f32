/**
 * The bot as `aitws serve` runs it (real config, core, HTTP server and Bolt) on 127.0.0.1, talking
 * to a fake Slack, with the Redis store when a URL is given. A "restart" is stop() and another
 * startSlackBot on the same Redis and prefix.
 */
import { randomBytes } from 'node:crypto';
import { slackPlatform } from '../../src/adapters/slack/index.js';
import { loadConfig } from '../../src/config.js';
import type { Logger } from '../../src/logging.js';
import { type RunningServer, startServer } from '../../src/serve.js';
import { APP_TOKEN, BOT_TOKEN, type FakeSlack } from './fake-slack.js';
import {
  type CommandFields,
  commandBody,
  interactiveBody,
  type PostResult,
  postSigned,
  SIGNING_SECRET,
  type SignOptions,
} from './slack-requests.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: object;
}

export interface SlackBotOptions {
  readonly fake: FakeSlack;
  readonly redisUrl?: string;
  /** Redis key prefix; pass the same one to a restarted bot. */
  readonly prefix?: string;
  readonly socketMode?: boolean;
  readonly env?: Record<string, string>;
}

export interface SlackBot {
  readonly eventsUrl: string;
  readonly running: RunningServer;
  readonly prefix: string;
  readonly logs: LogLine[];
  post(body: string, contentType: string, options?: SignOptions): Promise<PostResult>;
  /** `inAck`: the answer the ack carried (the core was quick), undefined for an empty ack. */
  command(
    fields: Omit<CommandFields, 'responseUrl'> & { responseUrl?: string },
  ): Promise<PostResult & { responseUrl: string; inAck: Record<string, unknown> | undefined }>;
  interact(payload: unknown, options?: SignOptions): Promise<PostResult>;
  event(envelope: unknown, options?: SignOptions): Promise<PostResult>;
  stop(): Promise<void>;
}

export function shortPrefix(): string {
  return `ts${randomBytes(5).toString('hex')}`;
}

function recordingLogger(logs: LogLine[]): Logger {
  const at =
    (level: LogLine['level']) =>
    (fields: object, message: string): void => {
      logs.push({ level, message, fields });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function startSlackBot(options: SlackBotOptions): Promise<SlackBot> {
  const prefix = options.prefix ?? shortPrefix();
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: options.fake.apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    AITWS_REDIS_PREFIX: prefix,
    AITWS_REDIS_TIMEOUT_MS: '500',
    ...(options.socketMode === true
      ? { SLACK_APP_TOKEN: APP_TOKEN }
      : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
    ...options.env,
  };
  const logs: LogLine[] = [];
  const running = await startServer(loadConfig(env), recordingLogger(logs), [slackPlatform]);
  if (running === undefined) throw new Error('Slack was not configured');
  const eventsUrl = `http://127.0.0.1:${running.port}/slack/events`;
  const post = (body: string, contentType: string, signOptions?: SignOptions) =>
    postSigned(eventsUrl, body, contentType, signOptions);
  return {
    eventsUrl,
    running,
    prefix,
    logs,
    post,
    async command(fields) {
      const responseUrl = fields.responseUrl ?? options.fake.responseUrl();
      const result = await post(commandBody({ ...fields, responseUrl }), 'application/x-www-form-urlencoded');
      return { ...result, responseUrl, inAck: ackMessage(result.body) };
    },
    interact: (payload, signOptions) =>
      post(interactiveBody(payload), 'application/x-www-form-urlencoded', signOptions),
    event: (envelope, signOptions) => post(JSON.stringify(envelope), 'application/json', signOptions),
    stop: () => running.stop(),
  };
}

/** A slash command's ack body as a message; an empty ack (the answer comes later) is undefined. */
export function ackMessage(body: string): Record<string, unknown> | undefined {
  if (body === '') return undefined;
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`the ack is not a message: ${body.slice(0, 100)}`);
  return Object.fromEntries(Object.entries(parsed));
}

/** The answer a fast command carried in its ack; fails when the ack was empty. */
export function answerInAck(result: { inAck: Record<string, unknown> | undefined }): Record<string, unknown> {
  if (result.inAck === undefined) throw new Error('the ack was empty: the answer did not come with it');
  return result.inAck;
}

/** The text of a posted message: its blocks' mrkdwn joined, as a person would read it. */
export function messageText(body: Record<string, unknown>): string {
  const blocks = Array.isArray(body.blocks) ? body.blocks : [];
  const parts: string[] = [];
  for (const block of blocks) {
    if (typeof block !== 'object' || block === null) continue;
    if ('text' in block && typeof block.text === 'object' && block.text !== null && 'text' in block.text) {
      parts.push(String(block.text.text));
    }
    if ('elements' in block && Array.isArray(block.elements)) {
      for (const element of block.elements) {
        if (typeof element === 'object' && element !== null && 'text' in element) {
          const text = element.text;
          parts.push(typeof text === 'string' ? text : JSON.stringify(text));
        }
      }
    }
  }
  return parts.join('\n');
}

/** Button action ids in a posted message. */
export function buttonsOf(body: Record<string, unknown>): { actionId: string; label: string }[] {
  const blocks = Array.isArray(body.blocks) ? body.blocks : [];
  const buttons: { actionId: string; label: string }[] = [];
  for (const block of blocks) {
    if (typeof block !== 'object' || block === null || !('type' in block) || block.type !== 'actions')
      continue;
    if (!('elements' in block) || !Array.isArray(block.elements)) continue;
    for (const element of block.elements) {
      if (typeof element !== 'object' || element === null) continue;
      const actionId = 'action_id' in element ? String(element.action_id) : '';
      const label =
        'text' in element &&
        typeof element.text === 'object' &&
        element.text !== null &&
        'text' in element.text
          ? String(element.text.text)
          : '';
      buttons.push({ actionId, label });
    }
  }
  return buttons;
}
