/**
 * The notices for secrets written into a document: a plain-text value under a secret-looking key,
 * or a URL with a literal password.
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

function noticeFor(value: string, key: string, secret: boolean, at: string): Finding | undefined {
  if (secret && value !== '' && value !== MASK && !isSecretReference(value)) {
    return {
      path: at,
      message: 'holds a secret in plain text; it is masked in chat and logs but saved in the file',
      expected: `a reference such as \${secret:${secretName(at).replace(/_PASSWORD$/, `_${key.toUpperCase()}`)}}`,
      code: 'SECRET_IN_DOCUMENT',
    };
  }
  if (hasUrlPassword(value)) {
    return {
      path: at,
      message: 'has a password in a URL; it is masked in chat and logs but saved in the file',
      expected: `a reference such as \${secret:${secretName(at)}} in place of the password`,
      code: 'SECRET_IN_URL',
    };
  }
  return undefined;
}

/**
 * `key` is the nearest key above the value (the list's, for a list item), `secret` whether it looks
 * like it names a secret. A list names its entries by the key field of that section, if it is one
 * (`authorization` → `role`), else by `name`. Paths are only built for containers and notices:
 * nearly every string of a document needs none.
 */
function scan(value: TomlValue, path: string, key: string, secret: boolean, notices: Finding[]): void {
  if (Array.isArray(value)) {
    const keyField = getSection(key)?.key ?? 'name';
    value.forEach((item, i) => {
      scanMember(item, path, entryLabel(item, keyField, i), key, secret, notices);
    });
  } else if (isTable(value)) {
    for (const field of Object.keys(value)) {
      const item = value[field] as TomlValue;
      // Only a string, or a list of them, can be a secret by its key; a table starts afresh.
      const secret = typeof item === 'string' || Array.isArray(item) ? isSecretKey(field) : false;
      scanMember(item, path, field, field, secret, notices);
    }
  }
}

function scanMember(
  value: TomlValue,
  parentPath: string,
  segment: string,
  key: string,
  secret: boolean,
  notices: Finding[],
): void {
  if (typeof value !== 'string') {
    scan(value, joinPath(parentPath, segment), key, secret, notices);
    return;
  }
  if (!secret && !hasUrlPassword(value)) return;
  const notice = noticeFor(value, key, secret, joinPath(parentPath, segment));
  if (notice !== undefined) notices.push(notice);
}

/** Every secret written into the document in plain text, in document order. */
export function scanSecrets(document: AitwsDocument): Finding[] {
  const notices: Finding[] = [];
  for (const section of Object.keys(document)) {
    scanMember(document[section] as TomlValue, '', section, section, isSecretKey(section), notices);
  }
  return notices;
}
