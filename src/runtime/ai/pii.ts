/**
 * PII detectors for text going to or coming from a model: emails, phone numbers, payment card
 * numbers and API keys or tokens. A finding is a kind and a span, never the matched text, so it
 * can be counted, logged and turned into an event without leaking what it found.
 *
 * Linear time, with plain JavaScript regexes (faster than re2js on a megabyte, and none is a user
 * pattern): every pattern may start only where a run of the characters it consumes begins (a
 * lookbehind, as in src/document/redact.ts), its repetitions are over disjoint character classes
 * or bounded, and a successful match moves the scan past the whole run, so each character is
 * looked at a bounded number of times. Text longer than MAX_PII_SCAN_CHARS is refused rather than
 * scanned in part: an unscanned tail could hold anything.
 */
import { MASK, SECRET_PATTERNS, type SecretPattern } from '../../document/redact.js';
import { LimitError } from '../../errors.js';

export const PII_KINDS = ['email', 'phone', 'card', 'key'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface PiiFinding {
  readonly kind: PiiKind;
  /** UTF-16 offsets, as `String.prototype.slice` takes them; `end` is exclusive. */
  readonly start: number;
  readonly end: number;
}

/** Four mebi-characters: well above any prompt a model takes, small enough to scan in milliseconds. */
export const MAX_PII_SCAN_CHARS = 4 * 1024 * 1024;

export const PII_LABELS: Readonly<Record<PiiKind, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  key: '[KEY]',
};

/** When spans overlap, the more specific kind wins: a key may hold digits, an email a phone-like run. */
const PRIORITY: Readonly<Record<PiiKind, number>> = { key: 0, email: 1, card: 2, phone: 3 };

/** The local part starts where a run of its characters starts, so each `@` is reached from one start. */
const EMAIL = /(?<![\w.%+-])[\w.%+-]+@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])/g;

/** 13–19 digits, single spaces or dashes between them; bounded, so at most 37 characters per start. */
const CARD = /(?<![\w.+-])\d(?:[ -]?\d){12,18}(?!\w)/g;

/**
 * A phone-like run: up to 16 digit groups with one separator between them (space, dot, dash,
 * parentheses), optionally after `+`. Each separator form begins with a different character or is
 * followed by a different one, so there is one way to read the run. A run that goes on past 16
 * groups, or starts in the middle of one, is no phone: the lookarounds refuse it after at most 16
 * steps back. Which runs are phone numbers is decided in code (isPhone), where dates, versions and
 * addresses are told apart.
 */
const PHONE_SEPARATOR = String.raw`(?:[ .-]|\)[ .-]?|[ .-]?\()`;
const PHONE_RUN = new RegExp(
  String.raw`(?<![\w.+/:@)-]|[\d)] )(?:\+|\((?=\d))?\d+(?:${PHONE_SEPARATOR}\d+){0,15}(?![\w@]|${PHONE_SEPARATOR}\d)`,
  'g',
);
const DATE_PREFIX = /^(?:(?:19|20)\d\d[-./]\d\d?[-./]\d\d?|\d\d?[-./]\d\d?[-./](?:19|20)?\d\d)(?!\d)/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * redact.ts patterns that rescan the rest of a long run from every start, so a hostile megabyte
 * takes minutes ("a://" or "/hooks/a" repeated, "-----BEGIN " without an END); replaced here by
 * scans that visit each URL run or key block once (findUrlSecrets, findPrivateKeys).
 */
const QUADRATIC_IN_REDACT = new Set(['url-credentials', 'webhook-path', 'private-key-block']);

/** Formats redact.ts does not know yet; each starts at the beginning of its run (a lookbehind). */
const EXTRA_TOKEN_FORMATS: readonly SecretPattern[] = (
  [
    ['google-api-key', /(?<![\w-])(AIza)([0-9A-Za-z_-]{35})/g],
    ['openai-key', /(?<![\w-])(sk-)([A-Za-z0-9]{32,})/g],
    ['gitlab-token', /(?<![\w-])(glpat-)([A-Za-z0-9_-]{20,})/g],
    ['npm-token', /(?<![\w-])(npm_)([A-Za-z0-9]{36})(?!\w)/g],
    ['huggingface-token', /(?<![\w-])(hf_)([A-Za-z0-9]{30,})/g],
    ['jwt', /(?<![\w-])(eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.)([\w-]{8,})/g],
  ] as const
).map(([name, pattern]) => ({ name, pattern, replace: (_match: string, prefix = '') => `${prefix}${MASK}` }));

const KEY_PATTERNS: readonly SecretPattern[] = [
  ...SECRET_PATTERNS.filter((pattern) => !QUADRATIC_IN_REDACT.has(pattern.name)),
  ...EXTRA_TOKEN_FORMATS,
];

const URL_RUN = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]*/gi;
const PRIVATE_KEY_BEGIN = /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----/g;
const SECRET_REFERENCES = /\$\{secret:[A-Za-z0-9_.-]+\}/g;
const WEBHOOK_SEGMENTS = new Set(['webhookb2', 'webhook', 'webhooks', 'hooks']);

/** Every finding of the given kinds, sorted by start and never overlapping. */
export function detectPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): PiiFinding[] {
  if (text.length > MAX_PII_SCAN_CHARS) {
    throw new LimitError(
      `The text is ${text.length} characters long; PII detection scans at most ${MAX_PII_SCAN_CHARS}.`,
      'Send less text to the model in one call.',
    );
  }
  const found: PiiFinding[] = [];
  if (kinds.includes('key')) findKeys(text, found);
  if (kinds.includes('email') && text.includes('@')) findAll(text, EMAIL, 'email', found);
  if (kinds.includes('card')) findAll(text, CARD, 'card', found, (match) => isCardNumber(match));
  if (kinds.includes('phone')) findAll(text, PHONE_RUN, 'phone', found, isPhone);
  return withoutOverlaps(found);
}

/** The text with each finding replaced by its label (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[KEY]`). */
export function redactFindings(text: string, findings: readonly PiiFinding[]): string {
  const parts: string[] = [];
  let position = 0;
  for (const finding of [...findings].sort((a, b) => a.start - b.start)) {
    if (finding.start < position) continue;
    parts.push(text.slice(position, finding.start), PII_LABELS[finding.kind]);
    position = finding.end;
  }
  parts.push(text.slice(position));
  return parts.join('');
}

/** How many findings of each kind; kinds with none are absent. */
export function countFindings(findings: readonly PiiFinding[]): Partial<Record<PiiKind, number>> {
  const counts: Partial<Record<PiiKind, number>> = {};
  for (const { kind } of findings) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The Luhn checksum every payment card number satisfies (digits only). */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

function isCardNumber(match: string): boolean {
  const digits = match.replace(/\D/g, '');
  // All one digit (0000…, 1111… is not Luhn-valid but 0000… is) is a placeholder, not a card.
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) && !/^(\d)\1*$/.test(digits);
}

/**
 * E.164 (`+` then 8–15 digits) in any grouping; national numbers need 10–11 digits in at least two
 * groups, so bare runs (ids, Unix timestamps), short numbers, dates, versions and IPv4 addresses
 * are not phones.
 */
function isPhone(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  if (match.startsWith('+')) return digits >= 8 && digits <= 15;
  if (digits < 10 || digits > 11 || DATE_PREFIX.test(match) || IPV4.test(match)) return false;
  const groups = match.split(/\D+/).filter((group) => group !== '');
  if (groups.length < 2) return false;
  // A one-digit group is a version or an ISBN part; a leading 1 is the North American trunk prefix.
  if (groups[0] === '1') return groups.map((group) => group.length).join() === '1,3,3,4';
  return groups.every((group) => group.length >= 2);
}

function findAll(
  text: string,
  pattern: RegExp,
  kind: PiiKind,
  found: PiiFinding[],
  accept: (match: string) => boolean = () => true,
): void {
  for (const match of text.matchAll(pattern)) {
    if (accept(match[0])) found.push({ kind, start: match.index, end: match.index + match[0].length });
  }
}

function findKeys(text: string, found: PiiFinding[]): void {
  for (const secret of KEY_PATTERNS) {
    for (const match of text.matchAll(secret.pattern)) {
      const groups = match.slice(1).filter((group): group is string => typeof group === 'string');
      const span = changedSpan(match[0], secret.replace(match[0], ...groups));
      if (span !== undefined)
        found.push({ kind: 'key', start: match.index + span[0], end: match.index + span[1] });
    }
  }
  if (text.includes('://')) findUrlSecrets(text, found);
  if (text.includes('PRIVATE KEY-----')) findPrivateKeys(text, found);
}

/** The part of `match` that masking changed: the secret itself, without the prefix that names it. */
function changedSpan(match: string, masked: string): [number, number] | undefined {
  if (masked === match) return undefined;
  let prefix = 0;
  while (prefix < match.length && prefix < masked.length && match[prefix] === masked[prefix]) prefix += 1;
  let suffix = 0;
  const room = Math.min(match.length, masked.length) - prefix;
  while (suffix < room && match[match.length - 1 - suffix] === masked[masked.length - 1 - suffix])
    suffix += 1;
  return prefix < match.length - suffix ? [prefix, match.length - suffix] : undefined;
}

/** Passwords in `scheme://user:password@host` and the credential segment of webhook URLs. */
function findUrlSecrets(text: string, found: PiiFinding[]): void {
  for (const match of text.matchAll(URL_RUN)) {
    const run = match[0];
    const authority = run.indexOf('://') + 3;
    const at = run.lastIndexOf('@');
    const colon = at > authority ? run.indexOf(':', authority) : -1;
    if (colon !== -1 && colon < at && !/[/?#@]/.test(run.slice(authority, colon))) {
      const password = run.slice(colon + 1, at);
      if (password !== MASK && password.replace(SECRET_REFERENCES, '') !== '')
        found.push({ kind: 'key', start: match.index + colon + 1, end: match.index + at });
    }
    const path = run.slice(authority).split(/[?#]/)[0] ?? '';
    const segments = path.split('/');
    const last = segments.at(-1) ?? '';
    const hook = segments.findIndex((segment, index) => index > 0 && WEBHOOK_SEGMENTS.has(segment));
    if (hook !== -1 && hook < segments.length - 1 && /^[A-Za-z0-9_-]{20,}$/.test(last)) {
      const end = match.index + authority + path.length;
      found.push({ kind: 'key', start: end - last.length, end });
    }
  }
}

/** A private key block's body, up to its END line or, with none, to the end of the text. */
function findPrivateKeys(text: string, found: PiiFinding[]): void {
  const begin = new RegExp(PRIVATE_KEY_BEGIN.source, 'g');
  let match = begin.exec(text);
  while (match !== null) {
    const start = match.index + match[0].length;
    const end = text.indexOf('-----END ', start);
    found.push({ kind: 'key', start, end: end === -1 ? text.length : end });
    if (end === -1) return;
    begin.lastIndex = end;
    match = begin.exec(text);
  }
}

/** Sorted by start; where two overlap, the higher-priority kind (then the earlier one) is kept. */
function withoutOverlaps(found: PiiFinding[]): PiiFinding[] {
  found.sort((a, b) => a.start - b.start || PRIORITY[a.kind] - PRIORITY[b.kind]);
  const kept: PiiFinding[] = [];
  for (const finding of found) {
    const last = kept.at(-1);
    if (last === undefined || finding.start >= last.end) kept.push(finding);
    else if (PRIORITY[finding.kind] < PRIORITY[last.kind]) kept[kept.length - 1] = finding;
  }
  return kept;
}
