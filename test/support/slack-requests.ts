/**
 * Requests to the bot as Slack sends them: form-encoded slash commands, `payload=` interactivity,
 * JSON events, each signed v0 (HMAC-SHA256 over `v0:timestamp:body` with the signing secret).
 */
import { createHmac } from 'node:crypto';
import { BOT_USER_ID } from './fake-slack.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const TEAM = 'T1';
export const CHANNEL = 'C1';

export interface SignOptions {
  readonly secret?: string;
  /** Seconds since the epoch; default now. */
  readonly timestamp?: number;
  readonly headers?: Record<string, string>;
}

export interface PostResult {
  readonly status: number;
  readonly body: string;
  /** Milliseconds until the response (the ack) arrived. */
  readonly ms: number;
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function postSigned(
  url: string,
  body: string,
  contentType: string,
  options: SignOptions = {},
): Promise<PostResult> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature(options.secret ?? SIGNING_SECRET, timestamp, body),
      ...options.headers,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text, ms: performance.now() - started };
}

export interface CommandFields {
  readonly text: string;
  readonly responseUrl: string;
  readonly user?: string;
  readonly userName?: string;
  readonly channel?: string;
  readonly triggerId?: string;
}

export function commandBody(fields: CommandFields): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: TEAM,
    team_domain: 'test',
    channel_id: fields.channel ?? CHANNEL,
    channel_name: 'general',
    user_id: fields.user ?? 'U1',
    user_name: fields.userName ?? 'alice',
    command: '/aitws',
    text: fields.text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId ?? `trigger-${Math.random().toString(36).slice(2)}`,
  }).toString();
}

export function commandObject(fields: CommandFields): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(commandBody(fields)));
}

export function interactiveBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface MentionFields {
  readonly text: string;
  readonly eventId: string;
  readonly user?: string;
  readonly channel?: string;
  readonly ts?: string;
  readonly threadTs?: string;
}

export function mentionEnvelope(fields: MentionFields): Record<string, unknown> {
  const ts = fields.ts ?? '1700000100.000100';
  return {
    token: 'legacy-verification-token',
    team_id: TEAM,
    api_app_id: 'A1',
    type: 'event_callback',
    event_id: fields.eventId,
    event_time: 1700000100,
    authorizations: [{ team_id: TEAM, user_id: BOT_USER_ID, is_bot: true }],
    event: {
      type: 'app_mention',
      user: fields.user ?? 'U1',
      text: `<@${BOT_USER_ID}> ${fields.text}`,
      ts,
      channel: fields.channel ?? CHANNEL,
      event_ts: ts,
      team: TEAM,
      ...(fields.threadTs === undefined ? {} : { thread_ts: fields.threadTs }),
      user_profile: { display_name: 'bob', real_name: 'Bob B', name: 'bob' },
    },
  };
}

export function buttonPayload(options: {
  actionId: string;
  label: string;
  responseUrl: string;
  user?: string;
  userName?: string;
  channel?: string;
}): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: {
      id: options.user ?? 'U1',
      username: options.userName ?? 'alice',
      name: options.userName ?? 'alice',
      team_id: TEAM,
    },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: '1700000000.000001', channel_id: CHANNEL, is_ephemeral: true },
    trigger_id: 'trigger-button',
    team: { id: TEAM, domain: 'test' },
    channel: { id: options.channel ?? CHANNEL, name: 'general' },
    response_url: options.responseUrl,
    actions: [
      {
        action_id: options.actionId,
        block_id: 'b1',
        text: { type: 'plain_text', text: options.label, emoji: true },
        value: options.actionId,
        type: 'button',
        action_ts: '1700000001.000001',
      },
    ],
  };
}
