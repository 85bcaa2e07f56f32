/**
 * Which Git remotes aitws talks to, and how their credentials stay out of sight. A workflow names
 * its repository, so a chat user who can edit it chooses where the bot connects: https:// anywhere,
 * but plain http:// and git:// only on loopback (unencrypted, and a way into the internal network),
 * file:// only under a directory the caller allows (tests), and nothing else (no ssh, no ext::).
 *
 * Credentials never go on a command line (other local users see argv): the URL given to git has no
 * user part, and the credentials travel in the environment as an Authorization header.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MASK, maskSecrets } from '../document/redact.js';
import { AitwsError } from '../errors.js';

export interface RemoteOptions {
  /** file:// URLs are allowed only under this directory; without it, never. */
  readonly allowedFileDir?: string;
}

/** A checked remote: the URL git is given (no credentials), and the credentials apart. */
export interface Remote {
  readonly url: string;
  readonly protocol: 'https' | 'http' | 'git' | 'file';
  readonly username?: string;
  readonly password?: string;
}

/** Username sent with a bare token; GitHub documents it, GitLab and Gitea accept any name. */
export const TOKEN_USERNAME = 'x-access-token';

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function refused(url: string, why: string, hint: string): AitwsError {
  return new AitwsError('CONFIG', `The repository ${maskUrl(url)} is refused: ${why}.`, { hint });
}

function parse(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw refused(
      url,
      'it is not a URL',
      'Give an https:// URL such as https://github.com/team/workflows.git (scp-style git@host:path is not supported).',
    );
  }
}

function checkFile(url: URL, text: string, options: RemoteOptions): string {
  const allowed = options.allowedFileDir;
  if (allowed === undefined)
    throw refused(text, 'file:// repositories are not allowed here', 'Use an https:// repository.');
  const file = path.resolve(fileURLToPath(url));
  const root = path.resolve(allowed);
  if (file !== root && !file.startsWith(`${root}${path.sep}`))
    throw new AitwsError('PATH_FORBIDDEN', 'The file:// repository is outside the allowed directory.', {
      hint: `Put it under ${root}.`,
    });
  return `file://${file}`;
}

/** The remote for `url` (credentials already resolved), or CONFIG / PATH_FORBIDDEN saying why not. */
export function checkRemote(url: string, token: string | undefined, options: RemoteOptions = {}): Remote {
  const parsed = parse(url);
  const protocol = parsed.protocol.slice(0, -1);
  if (protocol === 'file') return { url: checkFile(parsed, url, options), protocol };
  if (protocol !== 'https' && protocol !== 'http' && protocol !== 'git')
    throw refused(url, `${protocol}:// is not supported`, 'Use an https:// repository.');
  if (protocol !== 'https' && !isLoopback(parsed.hostname))
    throw refused(
      url,
      `${protocol}:// is unencrypted and allowed only on loopback`,
      'Use the https:// URL of the repository.',
    );
  const username = decodeURIComponent(parsed.username);
  const password = token ?? decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const credentials =
    password === '' ? {} : { username: username === '' ? TOKEN_USERNAME : username, password };
  if (protocol === 'git' && password !== '')
    throw refused(url, 'git:// carries no credentials', 'Use https:// with a token.');
  return { url: parsed.toString(), protocol, ...credentials };
}

/** The URL with its user part masked, for messages. */
export function maskUrl(url: string): string {
  return maskSecrets(url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${MASK}@`));
}

/** `text` with every given secret (and anything that looks like one) replaced by the mask. */
export function maskValues(text: string, secrets: readonly (string | undefined)[]): string {
  let masked = text;
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 3) continue;
    masked = masked.split(secret).join(MASK);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) masked = masked.split(encoded).join(MASK);
  }
  return maskSecrets(masked);
}
