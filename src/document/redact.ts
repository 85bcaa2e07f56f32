/**
 * Secret masking for everything shown or logged: passwords in URLs, webhook tokens and
 * `password = …`-style assignments. The saved file keeps the real values; only what people and log
 * files see is masked. `${secret:NAME}` references name a secret without revealing it, so they stay.
 *
 * Every pattern starts only at the beginning of a run of the characters it consumes (a lookbehind),
 * so a megabyte of letters is scanned once rather than once per position.
 */
import { getSection } from './sections.js';
import { cloneValue, isTable, newTable } from './tree.js';
import type { AitwsDocument, FieldSpec, NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

export const MASK = '****';

/** Matches a whole `${secret:NAME}` reference. */
export const SECRET_REFERENCE_PATTERN = /^\$\{secret:[A-Za-z0-9_.-]+\}$/;
const SECRET_REFERENCES = /\$\{secret:[A-Za-z0-9_.-]+\}/g;

const SECRET_WORDS =
  'password|passwd|passphrase|secret|secret[_-]?key|token|api[_-]?key|private[_-]?key|access[_-]?key|credentials?|auth|signature|sig';

/**
 * Key names whose values are secrets: `password`, `db_password`, `api_key`, `client_secret`,
 * `secret_key`, `token`, `basic_auth`, `signature`. Not `authorization`: that is a section name.
 */
export const SECRET_KEY_PATTERN = new RegExp(`^[\\w.-]*?(?:${SECRET_WORDS})$`, 'i');

export interface SecretPattern {
  readonly name: string;
  /** Global; `String.prototype.replace` resets it, so sharing one instance is safe. */
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

/** Long values are cut in messages; only ever after masking (see describeValue). */
export function cutForMessage(text: string, length = 40): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

export function isSecretReference(value: string): boolean {
  return SECRET_REFERENCE_PATTERN.test(value);
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key);
}

/** A value that is nothing but references (and the `:` between user and password) reveals nothing. */
function onlyReferences(value: string): boolean {
  return /^:?$/.test(value.replace(SECRET_REFERENCES, ''));
}

function maskQuoted(value: string): string {
  const quote = value[0];
  if (quote === '"' || quote === "'") {
    const inner = value.slice(1, -1);
    return inner === '' || onlyReferences(inner) ? value : `${quote}${MASK}${quote}`;
  }
  return onlyReferences(value) || value === MASK ? value : MASK;
}

/** `scheme://user:password@host`; the password runs to the last `@` before the path, so unencoded `@` and `:` in it are still covered. */
const URL_CREDENTIALS: SecretPattern = {
  name: 'url-credentials',
  // The password may hold `/` (unencoded), so it runs to the last `@` before whitespace or a quote.
  pattern: /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@"'<>`]*):([^\s"'<>`]+)@/gi,
  replace: (match, scheme = '', user = '', password = '') =>
    password === MASK || onlyReferences(`${user}:${password}`) || onlyReferences(password)
      ? match
      : `${scheme}${user}:${MASK}@`,
};

/** Whether the text holds a URL with a literal password (a `${secret:NAME}` one does not count). */
export function hasUrlPassword(text: string): boolean {
  // Credentials need both; most URLs (`https://github.com/…`) have no `@` and skip the pattern.
  if (!text.includes('://') || !text.includes('@')) return false;
  return applyPattern(text, URL_CREDENTIALS) !== text;
}

function applyPattern(text: string, { pattern, replace }: SecretPattern): string {
  return text.replace(pattern, (match: string, ...rest: unknown[]) =>
    replace(match, ...rest.filter((item): item is string => typeof item === 'string')),
  );
}

/** Well-known token formats, masked wherever they appear (after the prefix that names them). */
const TOKEN_FORMATS: readonly SecretPattern[] = [
  ['github-token', /\b(gh[pousr]_)([A-Za-z0-9]{20,})/g],
  ['github-fine-grained-token', /\b(github_pat_)([A-Za-z0-9_]{20,})/g],
  ['slack-token', /\b(xox[abposr]-|xapp-)([A-Za-z0-9-]{10,})/g],
  ['anthropic-key', /\b(sk-ant-)([A-Za-z0-9_-]{16,})/g],
  ['stripe-key', /\b((?:sk|rk|pk)_(?:live|test)_)([A-Za-z0-9]{12,})/g],
  ['live-secret-key', /\b(sk-(?:live|proj)-)([A-Za-z0-9_-]{8,})/g],
  ['aws-access-key-id', /\b((?:AKIA|ASIA))([A-Z0-9]{16})\b/g],
  ['private-key-block', /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(?=-----END [A-Z ]*PRIVATE KEY-----)/g],
].map(([name, pattern]) => ({
  name: String(name),
  pattern: pattern as RegExp,
  replace: (_match: string, prefix = '') => `${prefix}${MASK}`,
}));

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  URL_CREDENTIALS,
  ...TOKEN_FORMATS,
  {
    // A token as a URL's user name: `https://ghp_…@github.com`, `https://<40 hex>@host`.
    name: 'url-token-user',
    pattern: /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)([A-Za-z0-9_.~-]{20,})@/gi,
    replace: (match, scheme = '', user = '') => (user === MASK ? match : `${scheme}${MASK}@`),
  },
  {
    // `Authorization = "Bearer …"` in a header table, or the same in any text.
    name: 'authorization-scheme',
    pattern: /\b(Bearer|Basic|Token|Bot)(\s+)([A-Za-z0-9._~+/=-]{8,})/g,
    replace: (match, scheme = '', space = '', value = '') =>
      value === MASK || onlyReferences(value) ? match : `${scheme}${space}${MASK}`,
  },
  {
    // Signed URLs and tokens in query strings: `?sig=…`, `&X-Amz-Signature=…`, `?access_token=…`.
    name: 'query-secret',
    pattern:
      /([?&](?:sig|key|signature|x-amz-signature|x-amz-credential|x-amz-security-token|access_token|token|api_key|apikey|code|client_secret)=)([^&\s"'#<>]+)/gi,
    replace: (match, prefix = '', value = '') => (value === MASK ? match : `${prefix}${MASK}`),
  },
  {
    // Incoming webhooks whose last path segment is the credential (Teams, Zapier, generic /hooks/…).
    name: 'webhook-path',
    pattern: /(\/(?:webhookb2|webhooks?|hooks)\/(?:[^\s/"'?#<>]+\/)*)([A-Za-z0-9_-]{20,})/g,
    replace: (_match, prefix = '') => `${prefix}${MASK}`,
  },
  {
    // The last path segment of a Slack incoming webhook is its credential.
    name: 'slack-webhook',
    pattern:
      /(hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/)([A-Za-z0-9]+)/g,
    replace: (_match, prefix = '') => `${prefix}${MASK}`,
  },
  {
    name: 'discord-webhook',
    pattern: /(discord(?:app)?\.com\/api\/webhooks\/\d+\/)([\w-]+)/g,
    replace: (_match, prefix = '') => `${prefix}${MASK}`,
  },
  {
    // TOML, env files, YAML, query strings and command arguments: `api_key = "…"`, `PASSWORD=…`,
    // `client_secret: "…"`, `?token=…`.
    name: 'assignment',
    pattern: new RegExp(
      `(?<![\\w.$\\{-])([\\w.-]*?(?:${SECRET_WORDS}))(\\s*[=:]\\s*)("(?:[^"\\\\\\n]|\\\\.)*"|'[^'\\n]*'|[^\\s"'&,;]+)`,
      'gi',
    ),
    replace: (_match, key = '', separator = '', value = '') => `${key}${separator}${maskQuoted(value)}`,
  },
  {
    // JSON, as in structured log lines: `"password":"…"`.
    name: 'json-property',
    pattern: new RegExp(`("[\\w.-]*?(?:${SECRET_WORDS})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*")`, 'gi'),
    replace: (_match, key = '', value = '') => `${key}${maskQuoted(value)}`,
  },
];

/** Masks every credential found in free text (chat replies, log lines, TOML source, commands). */
export function maskSecrets(text: string): string {
  let masked = text;
  for (const pattern of SECRET_PATTERNS) masked = applyPattern(masked, pattern);
  return masked;
}

function maskWhole(value: TomlValue): TomlValue {
  if (typeof value === 'string') return isSecretReference(value) || value === '' ? value : MASK;
  if (Array.isArray(value)) return value.map(maskWhole);
  if (isTable(value)) {
    const masked = newTable();
    for (const [key, item] of Object.entries(value)) masked[key] = maskWhole(item);
    return masked;
  }
  return MASK;
}

function maskDeep(value: TomlValue): TomlValue {
  if (typeof value === 'string') return maskSecrets(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (isTable(value)) return maskTable(value, []);
  return cloneValue(value);
}

function maskTable(
  table: TomlTable,
  fields: readonly FieldSpec[],
  children: readonly NestedListSpec[] = [],
): TomlTable {
  const masked = newTable();
  for (const [key, value] of Object.entries(table)) {
    const field = fields.find((candidate) => candidate.name === key);
    const child = children.find((candidate) => candidate.name === key);
    if (field?.secret === true || isSecretKey(key)) masked[key] = maskWhole(value);
    else if (child !== undefined && Array.isArray(value))
      masked[key] = value.map((entry) => (isTable(entry) ? maskTable(entry, child.fields) : maskDeep(entry)));
    else masked[key] = maskDeep(value);
  }
  return masked;
}

function maskSection(spec: SectionSpec | undefined, value: TomlValue): TomlValue {
  if (spec === undefined) return maskDeep(value);
  if (isTable(value)) return maskTable(value, spec.fields, spec.children);
  if (Array.isArray(value)) {
    return value.map((entry) =>
      isTable(entry) ? maskTable(entry, spec.fields, spec.children) : maskDeep(entry),
    );
  }
  return maskDeep(value);
}

/**
 * A copy of the document fit to show: fields marked `secret` in the registry and secret-looking
 * keys are replaced whole, and credentials inside any other string are masked. The input is untouched.
 */
export function maskDocument(document: AitwsDocument): AitwsDocument {
  const masked = newTable();
  for (const [key, value] of Object.entries(document)) {
    masked[key] = isSecretKey(key) ? maskWhole(value) : maskSection(getSection(key), value);
  }
  return masked;
}
