/**
 * HTML for the pages: escaping (every text that reaches a page goes through `text`), the
 * per-response nonce and the security headers every page and stream is sent with.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { STYLE_HASH } from './styles.js';

/** Already-escaped HTML, so a template can tell it from text that still needs escaping. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

export type Part = Html | string | number | undefined | null | false | readonly Part[];

function render(part: Part): string {
  if (part === undefined || part === null || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** Tagged template: interpolated values are escaped unless they are Html already. */
export function html(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

export function join(parts: readonly Part[]): Html {
  return new Html(render(parts));
}

/** A fresh nonce per response: only our own <script> runs (the stylesheet goes by its hash). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${STYLE_HASH}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Headers every page answer carries, whatever its status. */
export function securityHeaders(nonce: string): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(nonce),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  };
}

export function sendHtml(response: ServerResponse, status: number, nonce: string, body: Html): void {
  response.writeHead(status, { ...securityHeaders(nonce), 'content-type': 'text/html; charset=utf-8' });
  response.end(body.value);
}

/** JSON (the snapshot download) with the same headers; `filename` makes it a download. */
export function sendJson(response: ServerResponse, nonce: string, body: string, filename: string): void {
  response.writeHead(200, {
    ...securityHeaders(nonce),
    'content-type': 'application/json; charset=utf-8',
    'content-disposition': `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
  });
  response.end(body);
}
