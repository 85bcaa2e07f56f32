/** Signed page links: what is signed, who they are for, when they end, and that forgeries fail. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  checkLink,
  createPageLinks,
  linkSignature,
  type PageSettings,
  parseLinkQuery,
  queryOf,
  workflowId,
} from '../../src/http/page-links.js';

const SECRET = 'page-secret-for-tests-0123456789abcdef';
const SETTINGS: PageSettings = { secret: SECRET, baseUrl: 'https://bot.example.com', ttlSeconds: 3600 };
const NOW = new Date('2025-03-01T12:00:00Z');

function queryOfUrl(url: string | undefined): URLSearchParams {
  return new URL(url ?? 'https://x.invalid/').searchParams;
}

describe('page links', () => {
  it('makes a run link for one person that checks, lasting the configured time', () => {
    const url = createPageLinks(SETTINGS, () => NOW).runLink('r7k2m9qxa4b', 'U123');
    expect(url).toMatch(/^https:\/\/bot\.example\.com\/runs\/r7k2m9qxa4b\?u=U123&e=\d+&s=[A-Za-z0-9_-]{43}$/);
    const query = queryOfUrl(url);
    expect(Number(query.get('e'))).toBe(NOW.getTime() / 1000 + 3600);
    expect(checkLink(SECRET, 'run', 'r7k2m9qxa4b', query, NOW)).toEqual({
      ok: true,
      user: 'U123',
      expiry: NOW.getTime() / 1000 + 3600,
    });
  });

  it('refuses a link for another run, person or kind, or with another secret, as invalid', () => {
    const query = queryOfUrl(createPageLinks(SETTINGS, () => NOW).runLink('run-a', 'U1'));
    const invalid = { ok: false, reason: 'invalid' };
    expect(checkLink(SECRET, 'run', 'run-b', query, NOW)).toEqual(invalid);
    expect(checkLink(SECRET, 'workflow', 'run-a', query, NOW)).toEqual(invalid);
    expect(checkLink(`${SECRET}x`, 'run', 'run-a', query, NOW)).toEqual(invalid);
    const otherUser = new URLSearchParams(query);
    otherUser.set('u', 'U2');
    expect(checkLink(SECRET, 'run', 'run-a', otherUser, NOW)).toEqual(invalid);
    const later = new URLSearchParams(query);
    later.set('e', String(Number(query.get('e')) + 1));
    expect(checkLink(SECRET, 'run', 'run-a', later, NOW)).toEqual(invalid);
  });

  it('says expired only for a link whose signature is right', () => {
    const expiry = NOW.getTime() / 1000 - 1;
    const good = new URLSearchParams(
      queryOf({ user: 'U1', expiry, signature: linkSignature(SECRET, 'run', 'r1', 'U1', expiry) }),
    );
    expect(checkLink(SECRET, 'run', 'r1', good, NOW)).toEqual({ ok: false, reason: 'expired' });
    const forged = new URLSearchParams(good);
    forged.set('s', 'A'.repeat(43));
    expect(checkLink(SECRET, 'run', 'r1', forged, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a missing or malformed query', () => {
    for (const query of [
      '',
      'u=U1&e=1',
      `u=U1&e=abc&s=${'A'.repeat(43)}`,
      `u=&e=1&s=${'A'.repeat(43)}`,
      'u=U1&e=1&s=short',
    ])
      expect(parseLinkQuery(new URLSearchParams(query))).toBeUndefined();
  });

  it('signs the parts apart: an id ending in the user cannot pass for a shorter id', () => {
    expect(linkSignature(SECRET, 'run', 'a', 'bc', 1)).not.toBe(linkSignature(SECRET, 'run', 'ab', 'c', 1));
  });

  it('makes a workflow link over the channel, each part encoded', () => {
    const channel = { platform: 'slack', workspace: 'T 1', channel: 'C/2' } as const;
    expect(workflowId(channel)).toBe('slack/T%201/C%2F2');
    const url = createPageLinks(SETTINGS, () => NOW).workflowLink(channel, 'U1');
    expect(url).toMatch(/^https:\/\/bot\.example\.com\/workflows\/slack\/T%201\/C%2F2\?u=U1&/);
    expect(checkLink(SECRET, 'workflow', workflowId(channel), queryOfUrl(url), NOW).ok).toBe(true);
  });

  it('is off without AITWS_PAGE_SECRET; on with it, at AITWS_PUBLIC_URL for AITWS_PAGE_LINK_TTL', () => {
    expect(loadConfig({}).runtime.pages).toBeUndefined();
    const config = loadConfig({
      AITWS_PAGE_SECRET: SECRET,
      AITWS_PUBLIC_URL: 'https://bot.example.com/',
      AITWS_PAGE_LINK_TTL: '600',
    });
    expect(config.runtime.pages).toEqual({
      secret: SECRET,
      baseUrl: 'https://bot.example.com',
      ttlSeconds: 600,
    });
    expect(loadConfig({ AITWS_PAGE_SECRET: SECRET }).runtime.pages?.ttlSeconds).toBe(86_400);
    expect(() => loadConfig({ AITWS_PAGE_SECRET: 'short' })).toThrow(/invalid/);
  });
});
