/**
 * Every Redis key the session store touches is built here and nowhere else.
 *
 * Layout (prefix defaults to `aitws`):
 *   <prefix>:{<platform>:<workspace>:<channel>}:session   hash: version, entry, wid
 *   <prefix>:{<platform>:<workspace>:<channel>}:history   list of encoded entries, newest first
 *   <prefix>:{<platform>:<workspace>}:saved               hash: name -> encoded saved document
 *   <prefix>:{<platform>:<workspace>}:saved-index         hash: name -> encoded summary
 *
 *   <prefix>:{<platform>:<workspace>:<channel>}:access    string: JSON {revision, state, wid}
 *   <prefix>:{<platform>:<workspace>:<channel>}:audit     stream, capped: field `entry` = JSON
 *   <prefix>:{audit-index}:audit-channels                 set: JSON [platform, workspace, channel]
 *                                                           of every channel with an audit trail,
 *                                                           so exports enumerate without SCAN
 *
 *   <prefix>:{action:<id>}:action                           hash: action, channel, decision
 *   <prefix>:{claim:<scope>:<id>}:claim                     string, SET NX with a TTL
 *   <prefix>:{counter:<scope>:<id>}:counter                 integer with a TTL (fixed window)
 *
 * The braces are a Redis Cluster hash tag: one channel's keys (and one workspace's library) always
 * land in the same slot, so a single Lua script may touch all of them.
 */
import { AitwsError } from '../errors.js';
import type { ChannelKey, WorkspaceKey } from './port.js';

export const DEFAULT_REDIS_PREFIX = 'aitws';

export interface ChannelKeys {
  readonly session: string;
  readonly history: string;
}

export interface WorkspaceKeys {
  readonly saved: string;
  readonly savedIndex: string;
}

export interface AccessKeys {
  readonly access: string;
  readonly audit: string;
}

export interface InteractionKeys {
  action(id: string): string;
  claim(scope: string, id: string): string;
  counter(scope: string, id: string): string;
}

export interface RedisKeys {
  readonly prefix: string;
  channel(key: ChannelKey): ChannelKeys;
  workspace(key: WorkspaceKey): WorkspaceKeys;
  access(key: ChannelKey): AccessKeys;
  /** A single key (one slot), written beside each trail; small: one member per channel. */
  readonly auditIndex: string;
  readonly interactions: InteractionKeys;
}

type Suffix =
  | 'session'
  | 'history'
  | 'saved'
  | 'saved-index'
  | 'access'
  | 'audit'
  | 'audit-channels'
  | 'action'
  | 'claim'
  | 'counter';

export function createRedisKeys(prefix: string = DEFAULT_REDIS_PREFIX): RedisKeys {
  // A brace in the prefix would become the hash tag and put every channel in one slot, or split a
  // channel's keys across slots; both break the single-script write on Cluster.
  if (prefix.length === 0 || /[{}\s]/.test(prefix)) {
    throw new AitwsError('CONFIG', `The Redis key prefix "${prefix}" is not usable.`, {
      hint: 'Use a non-empty prefix without braces or spaces, e.g. "aitws".',
    });
  }
  const key = (parts: readonly string[], suffix: Suffix): string =>
    `${prefix}:{${parts.map(encodeComponent).join(':')}}:${suffix}`;
  return {
    prefix,
    channel: (k) => {
      const parts = [k.platform, k.workspace, k.channel];
      return { session: key(parts, 'session'), history: key(parts, 'history') };
    },
    workspace: (k) => {
      const parts = [k.platform, k.workspace];
      return { saved: key(parts, 'saved'), savedIndex: key(parts, 'saved-index') };
    },
    access: (k) => {
      const parts = [k.platform, k.workspace, k.channel];
      return { access: key(parts, 'access'), audit: key(parts, 'audit') };
    },
    auditIndex: key(['audit-index'], 'audit-channels'),
    interactions: {
      action: (id) => key(['action', id], 'action'),
      claim: (scope, id) => key(['claim', scope, id], 'claim'),
      counter: (scope, id) => key(['counter', scope, id], 'counter'),
    },
  };
}

const SAFE_COMPONENT = /^[A-Za-z0-9_.-]*$/;

/**
 * Injective and brace/colon free, so `a:b` + `c` and `a` + `b:c` never share a key and a `}` in a
 * channel name cannot end the hash tag early. Works per UTF-16 unit, so a lone surrogate (which
 * encodeURIComponent throws on) still encodes.
 */
export function encodeComponent(value: string): string {
  // Most ids (Slack's T0123, C0456…) need no escaping; skip the per-character walk for them.
  if (SAFE_COMPONENT.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] ?? '';
    if (/[A-Za-z0-9_.-]/.test(ch)) {
      out += ch;
      continue;
    }
    const unit = value.charCodeAt(i);
    out += unit < 0x100 ? `%${hex(unit, 2)}` : `%u${hex(unit, 4)}`;
  }
  return out;
}

function hex(value: number, width: number): string {
  return value.toString(16).toUpperCase().padStart(width, '0');
}
