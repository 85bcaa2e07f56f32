/**
 * Names the event side derives instead of drawing at random, so that two deliveries of one event
 * (a webhook sent twice, a schedule tick two processes both see) land on the same thing: the run a
 * trigger starts, the dedupe key of an event. And the loop guard's depth, carried by the run.
 */
import { createHash } from 'node:crypto';
import type { ChannelKey } from '../session/port.js';
import type { RunActor } from './run-store.js';

/** One text per channel, unambiguous whatever its parts hold. */
export function channelPath(channel: ChannelKey): string {
  return [channel.platform, channel.workspace, channel.channel].map(encodeURIComponent).join('/');
}

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const ID_LENGTH = 16;

/**
 * A run id from what identifies the occurrence (channel, event id, trigger): the same parts give
 * the same id, which Runtime.start turns into "that run again". The shape of newRunId, a letter
 * saying where it came from (`e` an event, `s` a schedule) and 80 bits of SHA-256, so /status
 * accepts it and every store can key it.
 */
export function derivedRunId(kind: 'e' | 's', parts: readonly string[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest();
  let id = kind;
  for (let index = 0; index < ID_LENGTH; index += 1) {
    const byte = digest[index] ?? 0;
    id += ID_ALPHABET[byte % ID_ALPHABET.length];
  }
  return id;
}

/** A short stable digest of an event id, for step-memo keys and log lines. */
export function eventDigest(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 22);
}

const TRIGGER_ACTOR = /^aitws:trigger:(\d{1,3})$/;

/**
 * Who a run started by a trigger is started by: the system, at `depth` (how many handler-started
 * runs lead to it). The depth lives in the run record this way, written once at create, so every
 * event the run raises carries it without another read.
 */
export function triggerActor(depth: number, label: string): RunActor {
  return { id: `aitws:trigger:${depth}`, name: label.slice(0, 200) };
}

/** 0 for a run a person or a schedule started. */
export function depthOf(actor: RunActor): number {
  const match = TRIGGER_ACTOR.exec(actor.id);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}
