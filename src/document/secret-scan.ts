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

/** An entry label that is a name, not a position: `[Database]` but not `[#2]`. */
const LABEL = /\[([^\]#][^\]]*)\]/g;

/** `DATABASE_PASSWORD` for `external_services[Database].url`: a name to suggest for the secret. */
function secretName(path: string): string {
  let label = 'NAME';
  LABEL.lastIndex = 0;
  for (let match = LABEL.exec(path); match !== null; match = LABEL.exec(path)) label = match[1] ?? '';
  const base = label
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  return `${base === '' ? 'NAME' : base}_PASSWORD`;
}

/** Field names repeat across entries and documents; the key pattern is run once per distinct name. */
const secretKeys = new Map<string, boolean>();
const SECRET_KEY_MEMO = 1024;
/** Longer keys are not field names worth remembering, and would make the memo large. */
const MEMO_KEY_LENGTH = 64;

function secretKey(key: string): boolean {
  if (key.length > MEMO_KEY_LENGTH) return isSecretKey(key);
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

function noticeFor(value: string, key: string, secret: boolean, path: () => string): Finding | undefined {
  if (secret && value !== '' && value !== MASK && !isSecretReference(value)) {
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

/** Scans values for secrets, keeping the trail to each so a notice can name its path. */
export class SecretScan {
  private readonly trail: (string | number)[] = [];
  private readonly path = (): string => pathOf(this.document, this.trail);

  constructor(
    private readonly document: AitwsDocument,
    private readonly notices: Finding[],
  ) {}

  /** Moves down to a key or list position without scanning: for a caller that walks the tables itself. */
  enter(at: string | number): void {
    this.trail.push(at);
  }

  leave(): void {
    this.trail.pop();
  }

  /**
   * Scans the value at `at`. `key` is the nearest key above it (the list's for a list item), and
   * `secret` whether that key looks secret, when the caller already knows it.
   */
  step(at: string | number, value: TomlValue | undefined, key: string, secret?: boolean): void {
    if (typeof value === 'string') {
      const secretKeyed = secret ?? secretKey(key);
      // Most strings can give no notice: not under a secret key, and no `://` and `@` for a URL password.
      if (!secretKeyed && !(value.includes('://') && value.includes('@'))) return;
      this.trail.push(at);
      const notice = noticeFor(value, key, secretKeyed, this.path);
      if (notice !== undefined) this.notices.push(notice);
      this.trail.pop();
      return;
    }
    if (typeof value !== 'object' || value instanceof Date) return;
    this.trail.push(at);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) this.step(i, value[i], key, secret);
    } else if (isTable(value)) {
      const fields = Object.keys(value);
      for (let i = 0; i < fields.length; i++) {
        const field = fields[i] ?? '';
        this.step(field, value[field], field);
      }
    }
    this.trail.pop();
  }
}
