/**
 * The frame of every page: landmarks, a skip link, the stylesheet inline under the response's
 * nonce, and the error pages (404 and 410), which say nothing about what exists.
 */
import type { ServerResponse } from 'node:http';
import { Html, html, join, newNonce, type Part, sendHtml } from './html.js';
import { CSS } from './styles.js';

export interface PageFrame {
  readonly title: string;
  readonly header: Part;
  readonly main: Part;
  /** A script body; it runs under the response's nonce. */
  readonly script?: string;
  /** `data-*` attributes of <main>, for the script (the live stream's URL). */
  readonly data?: Readonly<Record<string, string>>;
}

function dataAttributes(data: Readonly<Record<string, string>> | undefined): Html {
  return join(Object.entries(data ?? {}).map(([name, value]) => html` data-${name}="${value}"`));
}

export function page(frame: PageFrame, nonce: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${frame.title}</title>
<link rel="icon" href="data:,">
<style>${new Html(CSS)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>${frame.header}</header>
<main id="main" tabindex="-1"${dataAttributes(frame.data)}>${frame.main}</main>
<footer><p>aitws · this page is for the person the link was made for; it is not cached.</p></footer>
${frame.script === undefined ? '' : html`<script nonce="${nonce}">${new Html(frame.script)}</script>`}
</body>
</html>
`;
}

/** The one answer for a link that is missing, malformed, forged or for nothing that exists. */
export function sendNotFound(response: ServerResponse): void {
  const nonce = newNonce();
  const body = page(
    { title: 'Not found', header: html`<h1>Not found</h1>`, main: html`<p>There is no page here.</p>` },
    nonce,
  );
  sendHtml(response, 404, nonce, body);
}

/** A link we made, past its time: how to get a new one. */
export function sendExpired(response: ServerResponse, runId: string | undefined): void {
  const nonce = newNonce();
  const how =
    runId === undefined
      ? html`<p>This link expired; ask for a new one with /status on a run of this channel.</p>`
      : html`<p>This link expired; ask for a new one with <code>/status ${runId}</code>.</p>`;
  const body = page({ title: 'Link expired', header: html`<h1>Link expired</h1>`, main: how }, nonce);
  sendHtml(response, 410, nonce, body);
}
