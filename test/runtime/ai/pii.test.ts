/**
 * PII detectors: each kind found where it is and not where it only looks alike (dates, versions,
 * short numbers, Luhn-invalid digits), spans rather than text, labels on redaction, and a megabyte
 * of ordinary or hostile text scanned in well under a second.
 */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import {
  countFindings,
  detectPii,
  luhnValid,
  MAX_PII_SCAN_CHARS,
  type PiiKind,
  redactFindings,
} from '../../../src/runtime/ai/pii.js';

function found(text: string, kinds?: readonly PiiKind[]): string[] {
  return detectPii(text, kinds).map((finding) => `${finding.kind}:${text.slice(finding.start, finding.end)}`);
}

describe('emails', () => {
  it('finds addresses with subdomains, plus tags and trailing punctuation', () => {
    expect(found('Write to ada.lovelace+ai@mail.example.co.uk, or bob@x.io.')).toEqual([
      'email:ada.lovelace+ai@mail.example.co.uk',
      'email:bob@x.io',
    ]);
  });

  it('ignores handles, decorators and addresses without a domain', () => {
    expect(found('@here ping @ada; user@localhost; @Component() and a@b')).toEqual([]);
  });
});

describe('phone numbers', () => {
  it.each([
    '+14155552671',
    '+1 415 555 2671',
    '+44 20 7946 0958',
    '+33 1 23 45 67 89',
    '+44 (0)20 7946 0958',
    '(415) 555-2671',
    '415-555-2671',
    '415.555.2671',
    '1-800-555-1234',
    '020 7946 0958',
    '06 12 34 56 78',
  ])('finds %s', (phone) => {
    expect(found(`call ${phone} today`)).toEqual([`phone:${phone}`]);
  });

  it.each([
    '2024-01-15',
    '15/01/2024',
    '15.01.2024',
    '2024-01-15 10:30',
    'version 1.2.3',
    'v10.4.12',
    '2.10.0-1234567',
    'port 8080 in 2024',
    '1700000000',
    '192.168.10.100',
    '978-3-16-148410-0',
    '1 000 000 000',
    '555-1234',
  ])('does not take %s for a phone number', (text) => {
    expect(found(text, ['phone'])).toEqual([]);
  });
});

describe('card numbers', () => {
  it('checks the Luhn sum', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('4111-1111')).toBe(false);
  });

  it('finds Luhn-valid numbers written with spaces, dashes or nothing', () => {
    expect(found('Visa 4111 1111 1111 1111, Amex 3782-822463-10005, MC 5555555555554444.')).toEqual([
      'card:4111 1111 1111 1111',
      'card:3782-822463-10005',
      'card:5555555555554444',
    ]);
  });

  it('ignores Luhn-invalid, too short, too long and placeholder digit runs', () => {
    expect(
      found('4111 1111 1111 1112 and 411111111111 and 41111111111111111111111 and 0000 0000 0000 0000'),
    ).toEqual([]);
  });
});

describe('keys and tokens', () => {
  it.each([
    ['anthropic', 'sk-ant-api03-abcdefghijklmnopqrstuv', 'sk-ant-'],
    ['aws', 'AKIAIOSFODNN7EXAMPLE', 'AKIA'],
    ['github', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_'],
    ['google', `AIza${'B'.repeat(35)}`, 'AIza'],
    ['openai', `sk-${'a1'.repeat(20)}`, 'sk-'],
    ['gitlab', 'glpat-abcdefghij0123456789', 'glpat-'],
    [
      'jwt',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXZhbHVl',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.',
    ],
  ])('finds a %s key after the prefix that names it', (_name, key, prefix) => {
    const text = `key: ${key} end`;
    const redacted = redactFindings(text, detectPii(text, ['key']));
    expect(redacted).toContain(`${prefix}[KEY]`);
    expect(redacted).not.toContain(key);
  });

  it('reuses redact.ts for assignments, bearer tokens and URL passwords', () => {
    const text =
      'api_key = "abc123secret" then Bearer abcdefgh12345678 and https://ada:hunter2@db.example.com/x';
    expect(redactFindings(text, detectPii(text, ['key']))).toBe(
      'api_key = "[KEY]" then Bearer [KEY] and https://ada:[KEY]@db.example.com/x',
    );
  });

  it('leaves secret references and plain URLs alone', () => {
    expect(
      found(`password = "\${secret:DB}" at https://example.com/a:b and https://x.dev/path`, ['key']),
    ).toEqual([]);
  });

  it('finds webhook credentials and private key bodies, with or without an END line', () => {
    const hook = `https://example.com/hooks/${'a'.repeat(24)}`;
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----';
    const text = `${hook}\n${key}\n-----BEGIN PRIVATE KEY-----\nMIIEtruncated`;
    expect(redactFindings(text, detectPii(text, ['key']))).toBe(
      'https://example.com/hooks/[KEY]\n-----BEGIN RSA PRIVATE KEY-----[KEY]-----END RSA PRIVATE KEY-----\n-----BEGIN PRIVATE KEY-----[KEY]',
    );
  });
});

describe('findings and redaction', () => {
  it('gives kinds and spans only, sorted and never overlapping', () => {
    const text = 'ada@example.com / +1 415 555 2671 / 4111111111111111 / AKIAIOSFODNN7EXAMPLE';
    const findings = detectPii(text);
    expect(findings.map((finding) => Object.keys(finding).sort())).toEqual(
      findings.map(() => ['end', 'kind', 'start']),
    );
    expect(findings.map((finding) => finding.kind)).toEqual(['email', 'phone', 'card', 'key']);
    expect(countFindings(findings)).toEqual({ email: 1, phone: 1, card: 1, key: 1 });
    expect(redactFindings(text, findings)).toBe('[EMAIL] / [PHONE] / [CARD] / AKIA[KEY]');
  });

  it('lets the more specific kind win where two overlap', () => {
    // A card number is also a phone-like run; a token may contain an email-like part.
    expect(found('4111 1111 1111 1111')).toEqual(['card:4111 1111 1111 1111']);
    expect(detectPii('token=ada@example.com').map((finding) => finding.kind)).toEqual(['key']);
  });

  it('scans only the kinds asked for', () => {
    expect(found('ada@example.com 415-555-2671', ['phone'])).toEqual(['phone:415-555-2671']);
  });
});

describe('size', () => {
  function timed(text: string): number {
    const started = performance.now();
    detectPii(text);
    return performance.now() - started;
  }

  it('scans a megabyte of prose with PII in it in well under a second', () => {
    const paragraph =
      'Dear team, call +1 415 555 2671 or mail ada@example.com about order 2024-01-15 v1.2.3. ';
    const text = paragraph.repeat(Math.ceil(1_048_576 / paragraph.length));
    expect(detectPii(text).length).toBeGreaterThan(20_000);
    expect(timed(text)).toBeLessThan(500);
  });

  it.each([
    ['digits and spaces', '1 '],
    ['digit groups and parentheses', '12 ('],
    ['dashed digit groups', '12-'],
    ['a long email local part', 'a.'],
    ['URL schemes', 'a://'],
    ['webhook paths', '/hooks/a'],
    ['key headers without an end', '-----BEGIN PRIVATE KEY-----'],
    ['JWT-like runs', 'eyJ-'],
    ['secret words', 'password token '],
  ])('scans a hostile megabyte of %s in well under a second', (_name, piece) => {
    expect(timed(piece.repeat(Math.ceil(1_048_576 / piece.length)))).toBeLessThan(500);
  });

  it('refuses text beyond the scan limit rather than scanning part of it', () => {
    expect(() => detectPii('a'.repeat(MAX_PII_SCAN_CHARS + 1))).toThrow(AitwsError);
  });
});
