/** The pages' HTML pieces without a browser: escaping, the TOML highlighter, the diff and the error pages. */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, escapeHtml, html } from '../../src/http/pages/html.js';
import { sendExpired, sendNotFound } from '../../src/http/pages/layout.js';
import { highlightToml } from '../../src/http/pages/toml-highlight.js';
import { patchOf, renderPatch } from '../../src/http/pages/workflow-diff.js';

/** Just what the error pages write. */
function recorder(): { response: ServerResponse; status(): number; body(): string } {
  let status = 0;
  let body = '';
  const response = {
    writeHead(code: number) {
      status = code;
      return response;
    },
    end(text: string) {
      body = text;
    },
  };
  return { response: response as unknown as ServerResponse, status: () => status, body: () => body };
}

describe('page HTML', () => {
  it('escapes every interpolated text, and only trusted Html passes as is', () => {
    expect(escapeHtml(`<script>"x" & 'y'</script>`)).toBe(
      '&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;',
    );
    const name = '<img src=x onerror=alert(1)>';
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt;">&lt;img src=x onerror=alert(1)&gt;</p>',
    );
    expect(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.value).toBe('<ul>&lt;a&gt;<li>ok</li></ul>');
  });

  it('highlights TOML with a few token classes, escaping the text', () => {
    const out = highlightToml(
      '# note <b>\n[metadata]\nname = "A <b>" # c\ncount = 3\non = true\n[[stages]]',
    ).value;
    expect(out).toContain('<span class="tok-comment"># note &lt;b&gt;</span>');
    expect(out).toContain('<span class="tok-table">[metadata]</span>');
    expect(out).toContain(
      '<span class="tok-key">name</span> = <span class="tok-string">&quot;A &lt;b&gt;&quot;</span>',
    );
    expect(out).toContain('<span class="tok-number">3</span>');
    expect(out).toContain('<span class="tok-bool">true</span>');
    expect(out).toContain('<span class="tok-table">[[stages]]</span>');
    expect(out).not.toContain('<b>');
  });

  it('renders a version diff with added and removed lines', () => {
    const patch = patchOf(1, 'a = 1\nb = 2\n', 2, 'a = 1\nb = 3\n');
    const out = renderPatch(patch).value;
    expect(out).toContain('<span class="diff-del">-b = 2</span>');
    expect(out).toContain('<span class="diff-add">+b = 3</span>');
    expect(renderPatch('').value).toContain('No change');
  });

  it('sends the same 404 body every time, and a 410 naming /status RUN', () => {
    const first = recorder();
    const second = recorder();
    sendNotFound(first.response);
    sendNotFound(second.response);
    expect(first.status()).toBe(404);
    expect(first.body()).toBe(second.body());
    const expired = recorder();
    sendExpired(expired.response, 'r<1>');
    expect(expired.status()).toBe(410);
    expect(expired.body()).toContain('ask for a new one with <code>/status r&lt;1&gt;</code>');
  });

  it('allows scripts only by nonce and nothing by default', () => {
    const csp = contentSecurityPolicy('abc');
    expect(csp).toMatch(/^default-src 'none'; script-src 'nonce-abc'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).toContain(
      "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });
});
