/**
 * Webhook signing. Each channel has its own secret, derived rather than stored:
 *
 *   channel secret = hex(HMAC-SHA256(AITWS_WEBHOOK_SECRET, "<platform>:<workspace>:<channel>"))
 *
 * so nothing per channel is kept anywhere, a secret of one channel says nothing about another's,
 * and rotating the master secret rotates them all. A request is signed over its timestamp and
 * raw body with the channel secret (as text, the way `openssl dgst -hmac` takes it):
 *
 *   X-Aitws-Timestamp: <unix seconds>
 *   X-Aitws-Signature: v1=<hex(HMAC-SHA256(channel secret, "<timestamp>.<raw body>"))>
 *
 * The timestamp bounds replays to a few minutes; the event id (X-Aitws-Event-Id, or the body's
 * `id`) is remembered so one inside that window is answered as a duplicate.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelKey, Platform } from '../session/port.js';

export const TIMESTAMP_HEADER = 'x-aitws-timestamp';
export const SIGNATURE_HEADER = 'x-aitws-signature';
export const EVENT_ID_HEADER = 'x-aitws-event-id';
/** How far a request's timestamp may be from our clock, either way. */
export const MAX_SKEW_SECONDS = 300;
export const WEBHOOK_PLATFORMS: readonly Platform[] = ['slack', 'discord', 'console'];

/** What /hooks and the webhook route need from the configuration. */
export interface WebhookSettings {
  /** AITWS_WEBHOOK_SECRET. */
  readonly secret: string;
  /** Where `aitws serve` is reached from outside, without a trailing slash: https://bot.example.com */
  readonly baseUrl: string;
}

export function channelSecret(master: string, channel: ChannelKey): string {
  return createHmac('sha256', master)
    .update(`${channel.platform}:${channel.workspace}:${channel.channel}`)
    .digest('hex');
}

/** The X-Aitws-Signature value for `body` sent at `timestamp`. */
export function signature(secret: string, timestamp: string, body: Buffer | string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `v1=${mac}`;
}

/** Constant-time: how much of a guess is right never shows in how long the answer takes. */
export function signatureMatches(secret: string, timestamp: string, body: Buffer, header: string): boolean {
  const expected = Buffer.from(signature(secret, timestamp, body));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Undefined when `timestamp` (unix seconds) is within MAX_SKEW_SECONDS of `now`, else why not. */
export function timestampProblem(timestamp: string | undefined, now: Date): string | undefined {
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp))
    return `missing or malformed ${TIMESTAMP_HEADER} header (unix seconds)`;
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > MAX_SKEW_SECONDS)
    return `stale request: its timestamp is ${Math.round(skew)} s from ours (at most ${MAX_SKEW_SECONDS} s); sign it again with the current time`;
  return undefined;
}

/** The URL that raises `event` (an [[events]] name) in `channel`; the platform is not in it. */
export function webhookUrl(baseUrl: string, channel: ChannelKey, event: string): string {
  const parts = [channel.workspace, channel.channel, event].map(encodeURIComponent);
  return `${baseUrl.replace(/\/+$/, '')}/hooks/${parts.join('/')}`;
}
