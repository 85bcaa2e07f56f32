/**
 * The page routes of `aitws serve` (when AITWS_PAGE_SECRET is set):
 *
 *   GET /runs/<id>?u&e&s              the run page
 *   GET /runs/<id>/events?u&e&s       its live stream (server-sent events)
 *   GET /runs/<id>/snapshot?u&e&s     its execution snapshot (JSON, masked), once finished
 *   GET /workflows/<platform>/<workspace>/<channel>?u&e&s   the channel's workflow page
 *
 * A missing, malformed or forged link and a page for nothing are the same 404; a link we made that
 * has expired is a 410 saying how to get a new one. Links on a page are relative and signed for
 * the same person with the same expiry, so following them never extends a link's life.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { standingOf } from '../../access/privileges.js';
import { readRunSnapshot } from '../../runtime/ai/run-snapshot.js';
import type { ChannelKey } from '../../session/port.js';
import { checkLink, linkSignature, type PageKind, pagePath, queryOf, workflowId } from '../page-links.js';
import type { HttpRoute } from '../server.js';
import { newNonce, sendHtml, sendJson } from './html.js';
import { sendExpired, sendNotFound } from './layout.js';
import { type PageSources, readRunView } from './run-data.js';
import { streamRun } from './run-events.js';
import { graphOf } from './run-graph.js';
import { runPage } from './run-page.js';
import { workflowPage } from './workflow-page.js';

const PLATFORMS: ReadonlySet<string> = new Set(['slack', 'discord', 'console']);

interface Opened {
  readonly user: string;
  readonly expiry: number;
}

function urlOf(request: IncomingMessage): URL {
  return new URL(request.url ?? '/', 'http://page.invalid');
}

function segments(url: URL, prefix: string): string[] | undefined {
  try {
    return url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** The link's person and expiry, or undefined once the 404 or 410 is sent. */
function open(
  sources: PageSources,
  kind: PageKind,
  id: string,
  url: URL,
  response: ServerResponse,
  runId?: string,
): Opened | undefined {
  const now = (sources.now ?? (() => new Date()))();
  const check = checkLink(sources.settings.secret, kind, id, url.searchParams, now);
  if (check.ok) return { user: check.user, expiry: check.expiry };
  if (check.reason === 'expired') sendExpired(response, runId);
  else sendNotFound(response);
  return undefined;
}

/**
 * Whether the link's person may still read the channel: a link outlives nothing it was made
 * for, so someone whose grant was revoked (or changed to hold no `read`) gets the 404 too.
 */
async function mayRead(sources: PageSources, channel: ChannelKey, user: string): Promise<boolean> {
  const [record, session] = await Promise.all([sources.access.read(channel), sources.sessions.read(channel)]);
  const standing = standingOf(sources.policy, session.document, record.grants, channel.platform, user);
  return standing.privileges.has('read');
}

/** A relative link to another page, for the same person until the same time. */
function linkTo(sources: PageSources, kind: PageKind, id: string, opened: Opened, suffix = ''): string {
  const signature = linkSignature(sources.settings.secret, kind, id, opened.user, opened.expiry);
  return `${pagePath(kind, id)}${suffix}?${queryOf({ user: opened.user, expiry: opened.expiry, signature })}`;
}

async function runRoute(
  sources: PageSources,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = urlOf(request);
  const parts = segments(url, '/runs/');
  const [runId, sub, ...extra] = parts ?? [];
  if (runId === undefined || runId === '' || extra.length > 0) return sendNotFound(response);
  const opened = open(sources, 'run', runId, url, response, runId);
  if (opened === undefined) return;
  const run = await sources.runs.read(runId);
  if (run === null || !(await mayRead(sources, run.channel, opened.user))) return sendNotFound(response);
  if (sub === 'events') return streamRun(sources, request, response, runId, opened.expiry);
  const view = await readRunView(sources, runId);
  if (view === null) return sendNotFound(response);
  const mask = (text: string): string => sources.mask(view.run, text);
  const nonce = newNonce();
  if (sub === 'snapshot') {
    const snapshot = await readRunSnapshot(sources.runs, runId);
    if (snapshot === null) return sendNotFound(response);
    return sendJson(response, nonce, mask(JSON.stringify(snapshot, null, 2)), `run-${runId}-snapshot.json`);
  }
  if (sub !== undefined) return sendNotFound(response);
  const graph = await graphOf(view.run, view.steps, mask, sources.logger);
  const links = {
    events: linkTo(sources, 'run', runId, opened, '/events'),
    snapshot: linkTo(sources, 'run', runId, opened, '/snapshot'),
    workflow: linkTo(sources, 'workflow', workflowId(view.run.channel), opened),
  };
  const now = (sources.now ?? (() => new Date()))();
  sendHtml(response, 200, nonce, runPage(view, graph, links, now, mask, nonce));
}

function channelOf(parts: readonly string[] | undefined): ChannelKey | undefined {
  if (parts?.length !== 3) return undefined;
  const [platform = '', workspace = '', channel = ''] = parts;
  if (!PLATFORMS.has(platform) || channel === '') return undefined;
  return { platform: platform as ChannelKey['platform'], workspace, channel };
}

async function workflowRoute(
  sources: PageSources,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = urlOf(request);
  const channel = channelOf(segments(url, '/workflows/'));
  if (channel === undefined) return sendNotFound(response);
  const opened = open(sources, 'workflow', workflowId(channel), url, response);
  if (opened === undefined) return;
  if (!(await mayRead(sources, channel, opened.user))) return sendNotFound(response);
  const [session, history, access] = await Promise.all([
    sources.sessions.read(channel),
    sources.sessions.history(channel, 20),
    sources.access.read(channel),
  ]);
  if (session.version === 0) return sendNotFound(response);
  const nonce = newNonce();
  sendHtml(response, 200, nonce, workflowPage({ channel, session, history, access }, nonce));
}

export function pageRoutes(sources: PageSources): HttpRoute[] {
  return [
    { method: 'GET', path: '/runs/', prefix: true, handle: (req, res) => runRoute(sources, req, res) },
    {
      method: 'GET',
      path: '/workflows/',
      prefix: true,
      handle: (req, res) => workflowRoute(sources, req, res),
    },
  ];
}
