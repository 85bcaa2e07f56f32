/**
 * Signed links to the run and workflow pages. A link is made for one person and lasts a while:
 *
 *   s = base64url(HMAC-SHA256(AITWS_PAGE_SECRET, JSON ["<kind>", "<id>", "<user>", "<expiry>"]))
 *   /runs/<id>?u=<user>&e=<expiry unix seconds>&s=<s>
 *   /workflows/<platform>/<workspace>/<channel>?u=…&e=…&s=…
 *
 * JSON keeps the parts apart (an id with a `:` in it cannot pass for another id and user). Nothing
 * is stored: the secret checks every link, and changing it ends them all. A run link also opens the
 * run's live events and its execution snapshot (same query, same signature).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelKey } from '../session/port.js';

export type PageKind = 'run' | 'workflow';

/** What the pages need from the configuration (AITWS_PAGE_SECRET, AITWS_PUBLIC_URL, AITWS_PAGE_LINK_TTL). */
export interface PageSettings {
  readonly secret: string;
  /** Where `aitws serve` is reached from outside, without a trailing slash. */
  readonly baseUrl: string;
  /** How long a link lasts, in seconds. */
  readonly ttlSeconds: number;
}

/** What commands get to offer a page (CommandContext.pageLinks). */
export interface PageLinks {
  /** The run page's URL for `user`; undefined when pages are off. */
  runLink(runId: string, user: string): string | undefined;
  workflowLink(channel: ChannelKey, user: string): string | undefined;
}

/** What a link's query says, once it is known to be well formed. */
export interface LinkQuery {
  readonly user: string;
  readonly expiry: number;
  readonly signature: string;
}

export type LinkCheck =
  | { readonly ok: true; readonly user: string; readonly expiry: number }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

/** A platform's user id: no spaces or control characters (the console's OS user names included). */
const USER = /^[^\p{Cc}\s]{1,128}$/u;
const EXPIRY = /^\d{1,12}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

export function linkSignature(
  secret: string,
  kind: PageKind,
  id: string,
  user: string,
  expiry: number,
): string {
  return createHmac('sha256', secret)
    .update(JSON.stringify([kind, id, user, String(expiry)]))
    .digest('base64url');
}

/** The id a workflow page is signed over: its channel, as its path has it. */
export function workflowId(channel: ChannelKey): string {
  return [channel.platform, channel.workspace, channel.channel].map(encodeURIComponent).join('/');
}

export function pagePath(kind: PageKind, id: string): string {
  return kind === 'run' ? `/runs/${encodeURIComponent(id)}` : `/workflows/${id}`;
}

/** `u=…&e=…&s=…` for `user`, valid until `now` plus the configured lifetime. */
export function signedQuery(
  settings: PageSettings,
  kind: PageKind,
  id: string,
  user: string,
  now: Date,
): string {
  const expiry = Math.floor(now.getTime() / 1000) + settings.ttlSeconds;
  return queryOf({ user, expiry, signature: linkSignature(settings.secret, kind, id, user, expiry) });
}

export function queryOf(link: LinkQuery): string {
  const query = new URLSearchParams({ u: link.user, e: String(link.expiry), s: link.signature });
  return query.toString();
}

/** The query's parts, or undefined when one is missing or malformed (a link no one made). */
export function parseLinkQuery(query: URLSearchParams): LinkQuery | undefined {
  const user = query.get('u') ?? '';
  const expiry = query.get('e') ?? '';
  const signature = query.get('s') ?? '';
  if (!USER.test(user) || !EXPIRY.test(expiry) || !SIGNATURE.test(signature)) return undefined;
  return { user, expiry: Number(expiry), signature };
}

/**
 * Whether the link was made by us for this page: constant-time on the signature; an expired one
 * is told apart only once its signature is right, so a forgery never learns more than "invalid".
 */
export function checkLink(
  secret: string,
  kind: PageKind,
  id: string,
  query: URLSearchParams,
  now: Date,
): LinkCheck {
  const link = parseLinkQuery(query);
  if (link === undefined) return { ok: false, reason: 'invalid' };
  const expected = Buffer.from(linkSignature(secret, kind, id, link.user, link.expiry));
  const given = Buffer.from(link.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'invalid' };
  if (link.expiry * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, user: link.user, expiry: link.expiry };
}

/** Links for commands; `now` is the clock the expiry counts from. */
export function createPageLinks(settings: PageSettings, now: () => Date = () => new Date()): PageLinks {
  const link = (kind: PageKind, id: string, user: string): string | undefined =>
    USER.test(user)
      ? `${settings.baseUrl}${pagePath(kind, id)}?${signedQuery(settings, kind, id, user, now())}`
      : undefined;
  return {
    runLink: (runId, user) => link('run', runId, user),
    workflowLink: (channel, user) => link('workflow', workflowId(channel), user),
  };
}
