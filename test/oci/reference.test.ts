import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { formatReference, isLoopbackRegistry, manifestKey, parseReference } from '../../src/oci/reference.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

function refusal(text: string): AitwsError {
  try {
    parseReference(text);
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe('parseReference', () => {
  it.each([
    ['localhost:5000/wf:1.0', { registry: 'localhost:5000', repository: 'wf', tag: '1.0' }],
    ['ghcr.io/org/team/wf:v2_rc-1', { registry: 'ghcr.io', repository: 'org/team/wf', tag: 'v2_rc-1' }],
    [`127.0.0.1:41234/a/b@${DIGEST}`, { registry: '127.0.0.1:41234', repository: 'a/b', digest: DIGEST }],
    ['[::1]:5000/wf:latest', { registry: '[::1]:5000', repository: 'wf', tag: 'latest' }],
    ['localhost/wf:1', { registry: 'localhost', repository: 'wf', tag: '1' }],
    [
      'Registry.Example.COM/a.b/c__d/e--f:T',
      { registry: 'registry.example.com', repository: 'a.b/c__d/e--f', tag: 'T' },
    ],
    [`r.io/wf:1.0@${DIGEST}`, { registry: 'r.io', repository: 'wf', tag: '1.0', digest: DIGEST }],
  ])('%s', (text, expected) => {
    expect(parseReference(text)).toEqual(expected);
    expect(formatReference(parseReference(text))).toBe(text.replace(/^[^/]+/, (host) => host.toLowerCase()));
  });

  it('refuses docker-hub style names without a registry host, saying why', () => {
    for (const text of ['library/ubuntu:22.04', 'ubuntu:22.04', `team/wf@${DIGEST}`]) {
      const error = refusal(text);
      expect(error.code).toBe('USAGE');
      expect(`${error.message} ${error.hint}`).toMatch(/registry/);
    }
    expect(refusal('library/ubuntu:22.04').hint).toMatch(/no Docker Hub default/);
  });

  it('refuses a reference with neither tag nor digest instead of assuming latest', () => {
    expect(refusal('ghcr.io/org/wf').message).toMatch(/neither a tag nor a digest/);
  });

  it.each([
    ['ghcr.io/Org/wf:1', /"Org" is not a valid repository path component/],
    ['ghcr.io/org//wf:1', /empty path component/],
    ['ghcr.io/org/wf:-bad', /not a valid tag/],
    [`ghcr.io/org/wf:${'t'.repeat(129)}`, /not a valid tag/],
    ['ghcr.io/org/wf@sha256:abc', /not a sha256 digest/],
    [`ghcr.io/org/wf@sha512:${'a'.repeat(128)}`, /not a sha256 digest/],
    ['https://ghcr.io/org/wf:1', /URL scheme/],
    ['host:99999/wf:1', /out of range/],
    ['bad_host.io/wf:1', /not a registry host/],
    [' ghcr.io/wf:1', /spaces/],
    ['', /empty/],
    [`ghcr.io/${'a/'.repeat(130)}a:1`, /longer than 255/],
  ])('refuses %s', (text, why) => {
    const error = refusal(text);
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(why);
    expect(error.hint).toBeDefined();
  });

  it('resolves the digest when both are given, else the tag', () => {
    expect(manifestKey(parseReference(`r.io/wf:1@${DIGEST}`))).toBe(DIGEST);
    expect(manifestKey(parseReference('r.io/wf:1'))).toBe('1');
    expect(() => manifestKey({ registry: 'r.io', repository: 'wf' })).toThrow(/neither a tag nor a digest/);
  });
});

describe('isLoopbackRegistry', () => {
  it('is true for localhost, 127.0.0.1 and [::1] with any port, and nothing else', () => {
    for (const host of ['localhost', 'localhost:5000', '127.0.0.1:1', '[::1]', '[::1]:5000']) {
      expect(isLoopbackRegistry(host), host).toBe(true);
    }
    for (const host of ['127.0.0.2:5000', 'localhost.evil.io', 'ghcr.io', '[::2]:5000', '10.0.0.1']) {
      expect(isLoopbackRegistry(host), host).toBe(false);
    }
  });
});
