/**
 * The notices for secrets written into a document: a plain-text value under a secret-looking key,
 * or a URL with a literal password. Every string of the document is looked at, so the walk builds
 * no paths; the path of a value is rebuilt from the trail of keys and indexes only for a notice.
 */
import type { Finding } from '../errors.js';
import { hasUrlPassword, isSecretKey, isSecretReference, MASK } from './redact.js';
import { getSection } from './sections.js';
import { entryLabel, isTable, joinPath } from './tree.js';
import type { AitwsDocument, TomlValue } from './types.js';

/** `DATABASE_PASSWORD` for `external_services[Database].url`: a name to suggest for the secret. */
function secretName(path: string): string {
  const labels = [...path.matchAll(/\[([^\]#][^\]]*)\]/g)].map((match) => match[1] ?? '');
  const base = (labels.at(-1) ?? 'NAME')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  return `${base === '' ? 'NAME' : base}_PASSWORD`;
}

/** Field names repeat across entries and documents; the key pattern is run once per distinct name. */
const secretKeys = new Map<string, boolean>();
const SECRET_KEY_MEMO = 1024;

function secretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = isSecretKey(key);
    if (secretKeys.size >= SECRET_KEY_MEMO) secretKeys.clear();
    secretKeys.set(key, secret);
  }
  return secret;
}

/**
 * `trail` holds the keys (strings) and list positions (numbers) from the section down. A list
 * names its entries by the key field of the nearest key above it (`authorization` → `role`).
 */
function pathOf(document: AitwsDocument, trail: readonly (string | number)[]): string {
  let path = '';
  let key = '';
  let current: TomlValue | undefined = document;
  trail.forEach((step, depth) => {
    if (typeof step === 'number') {
      const item: TomlValue | undefined = Array.isArray(current) ? current[step] : undefined;
      path = joinPath(path, entryLabel(item, getSection(key)?.key ?? 'name', step));
      current = item;
      return;
    }
    key = step;
    path = depth === 0 ? step : joinPath(path, step);
    current = isTable(current) ? current[step] : undefined;
  });
  return path;
}

function noticeFor(value: string, key: string, path: () => string): Finding | undefined {
  if (secretKey(key) && value !== '' && value !== MASK && !isSecretReference(value)) {
    const at = path();
    return {
      path: at,
      message: 'holds a secret in plain text; it is masked in chat and logs but saved in the file',
      expected: `a reference such as \${secret:${secretName(at).replace(/_PASSWORD$/, `_${key.toUpperCase()}`)}}`,
      code: 'SECRET_IN_DOCUMENT',
    };
  }
  if (hasUrlPassword(value)) {
    const at = path();
    return {
      path: at,
      message: 'has a password in a URL; it is masked in chat and logs but saved in the file',
      expected: `a reference such as \${secret:${secretName(at)}} in place of the password`,
      code: 'SECRET_IN_URL',
    };
  }
  return undefined;
}

class SecretScan {
  private readonly trail: (string | number)[] = [];
  private readonly path = (): string => pathOf(this.document, this.trail);

  constructor(
    private readonly document: AitwsDocument,
    private readonly notices: Finding[],
  ) {}

  /** `key` is the nearest key above the value: the field of a string, or of the list holding it. */
  scan(value: TomlValue | undefined, key: string): void {
    if (typeof value === 'string') {
      const notice = noticeFor(value, key, this.path);
      if (notice !== undefined) this.notices.push(notice);
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) this.step(i, value[i], key);
    } else if (isTable(value)) {
      for (const field of Object.keys(value)) this.step(field, value[field], field);
    }
  }

  step(at: string | number, value: TomlValue | undefined, key: string): void {
    this.trail.push(at);
    this.scan(value, key);
    this.trail.pop();
  }
}

/** One section's secret notices, in document order. */
export function scanSecrets(document: AitwsDocument, name: string, notices: Finding[]): void {
  new SecretScan(document, notices).step(name, document[name], name);
}
