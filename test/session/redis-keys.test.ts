import { describe, expect, test } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import type { ChannelKey } from '../../src/session/port.js';
import { createRedisKeys, encodeComponent } from '../../src/session/redis-keys.js';

const keys = createRedisKeys('aitws');
const hashTag = (key: string): string | undefined => /\{([^}]*)\}/.exec(key)?.[1];

describe('redis keys', () => {
  test('one channel: one hash tag, per-channel suffixes, default prefix', () => {
    const channel: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };
    expect(createRedisKeys().channel(channel)).toEqual({
      session: 'aitws:{slack:T1:C1}:session',
      history: 'aitws:{slack:T1:C1}:history',
    });
    expect(keys.workspace({ platform: 'slack', workspace: 'T1' })).toEqual({
      saved: 'aitws:{slack:T1}:saved',
      savedIndex: 'aitws:{slack:T1}:saved-index',
    });
  });

  test('braces and colons in names cannot break the hash tag or collide', () => {
    const tricky: ChannelKey[] = [
      { platform: 'console', workspace: 'a:b', channel: 'c' },
      { platform: 'console', workspace: 'a', channel: 'b:c' },
      { platform: 'console', workspace: 'a}', channel: '{c' },
      { platform: 'console', workspace: 'a', channel: '}:{c' },
      { platform: 'console', workspace: 'a', channel: '%7D' },
      { platform: 'console', workspace: 'a', channel: '\u{1F600}\uD800 é' },
    ];
    const sessions = tricky.map((key) => keys.channel(key).session);
    expect(new Set(sessions).size).toBe(tricky.length);
    for (const key of tricky) {
      const { session, history } = keys.channel(key);
      expect(session.match(/[{}]/g)).toEqual(['{', '}']);
      expect(hashTag(session)).toBe(hashTag(history));
    }
  });

  test('encoding is injective over units and never emits separators', () => {
    const samples = [
      '',
      'a',
      'a%',
      '%25',
      ':',
      '{',
      '}',
      'ab',
      'a b',
      '\uD800',
      '\u00FF',
      '\u0100',
      '%u0100',
    ];
    const encoded = samples.map(encodeComponent);
    expect(new Set(encoded).size).toBe(samples.length);
    for (const value of encoded) expect(value).not.toMatch(/[{}:\s]/);
  });

  test('a prefix that would break the hash tag is refused', () => {
    for (const prefix of ['', 'a{b', 'a}', 'a b']) {
      expect(() => createRedisKeys(prefix)).toThrow(AitwsError);
    }
  });
});
