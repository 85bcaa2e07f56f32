/**
 * Where an `http.request` may go: the origin (and base path) of one `[[external_services]]` entry,
 * and a `with.path` under it that cannot climb out (no `..` or `.` segments, encoded or not, no
 * encoded slashes, no `//host`, no absolute URL). Shared by pre-flight (check) and the request.
 */

import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { entryNames, findEntry } from './shared.js';

export interface ServiceTarget {
  readonly name: string;
  /** `https://api.example.com:8443` */
  readonly origin: string;
  /** The service URL's path without its trailing slash: `/v1`, or '' at the root. */
  readonly basePath: string;
  /** The `api_key` field as written (usually a `${secret:NAME}` reference). */
  readonly apiKey?: string;
}

type Resolved =
  | { readonly ok: true; readonly target: ServiceTarget }
  | { readonly ok: false; readonly problem: string };

/** The service `name` of the document as a target, or why it cannot be called. */
export function serviceTarget(document: AitwsDocument, name: string): Resolved {
  const entry = findEntry(document, 'external_services', name);
  if (entry === undefined) {
    const known = entryNames(document, 'external_services');
    const list = known.length === 0 ? '' : ` (known: ${known.join(', ')})`;
    return { ok: false, problem: `no [[external_services]] entry is named "${name}"${list}` };
  }
  const { url, api_key: apiKey } = entry;
  if (typeof url !== 'string' || url.trim() === '')
    return { ok: false, problem: `the service "${name}" has no url to send requests to` };
  if (url.includes('${secret:'))
    return { ok: false, problem: `the url of "${name}" holds a secret; send it in a header instead` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, problem: `the url of "${name}" is not a URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return { ok: false, problem: `the url of "${name}" must start with http:// or https://` };
  if (parsed.username !== '' || parsed.password !== '')
    return { ok: false, problem: `the url of "${name}" holds credentials; send them in a header instead` };
  if (parsed.search !== '' || parsed.hash !== '')
    return { ok: false, problem: `the url of "${name}" has a query or fragment; put the query in with.path` };
  const target: ServiceTarget = {
    name,
    origin: parsed.origin,
    basePath: parsed.pathname.replace(/\/+$/, ''),
    ...(typeof apiKey === 'string' && apiKey !== '' ? { apiKey } : {}),
  };
  return { ok: true, target };
}

/** Throws PARAMETER when the service cannot be called (see serviceTarget). */
export function requireService(document: AitwsDocument, name: string): ServiceTarget {
  const resolved = serviceTarget(document, name);
  if (resolved.ok) return resolved.target;
  throw new AitwsError('PARAMETER', `with.service: ${resolved.problem}.`);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why `path` may not be sent, or undefined when it is a plain path under the service. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with "/" (a path under the service, not a URL)';
  if (path.startsWith('//')) return 'must not start with "//" (that names another host)';
  if (path.includes('\\')) return 'must not hold "\\"';
  if (path.includes('#')) return 'must not hold a fragment ("#")';
  if (CONTROL.test(path)) return 'must not hold control characters';
  const pathname = path.split('?', 1)[0] ?? '';
  for (const segment of pathname.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return `has malformed percent-encoding in "${segment}"`;
    }
    if (decoded === '.' || decoded === '..') return 'must not hold "." or ".." segments';
    if (decoded.includes('/') || decoded.includes('\\')) return 'must not hold an encoded "/" or "\\"';
  }
  return undefined;
}

/** The URL for `path` under the service; PATH_FORBIDDEN when it would leave it. */
export function requestUrl(target: ServiceTarget, path: string): URL {
  const problem = pathProblem(path);
  if (problem !== undefined) throw new AitwsError('PATH_FORBIDDEN', `with.path ${problem}.`);
  const url = new URL(`${target.origin}${target.basePath}${path}`);
  // The checks above should make this impossible; this is the last word on where the request goes.
  const underBase = url.pathname === target.basePath || url.pathname.startsWith(`${target.basePath}/`);
  if (url.origin !== target.origin || !underBase) {
    throw new AitwsError('PATH_FORBIDDEN', `with.path leaves the service "${target.name}".`);
  }
  return url;
}
