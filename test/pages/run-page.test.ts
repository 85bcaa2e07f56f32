/**
 * The run page in a real browser (Debian's chromium driven by playwright-core, no download) against
 * `aitws serve` in this process: a signed link from /status opens the page; the graph, timeline and
 * AI call are there; a waiting run turns to succeeded live, without a reload, when Bob approves it
 * through the dispatcher; bad, forged and expired links; no secret value anywhere in the HTML; the
 * CSP and every script under its nonce; screenshots at desktop and phone width in test-artifacts/.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkSignature, queryOf } from '../../src/http/page-links.js';
import { REPO_ROOT } from '../support/paths.js';
import {
  BOB,
  PAGE_SECRET,
  type PagesHarness,
  runIdOf,
  SECRET_VALUE,
  startPages,
  WORKFLOW,
} from './harness.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

/** What the page functions use of the browser (the test itself is compiled without the DOM library). */
interface InPage {
  document: {
    documentElement: { scrollWidth: number };
    getElementById(id: string): { getAttribute(name: string): string | null } | null;
  };
  getComputedStyle(node: unknown): { fill: string };
  marker?: number;
}

let h: PagesHarness;
let browser: Browser;
let runId: string;
let link: string;
/** The page and its CSP while the run waits (it has the live script then). */
let waiting: { html: string; csp: string; headers: Headers };

async function statusLink(id: string): Promise<string> {
  const reply = await h.command(`/status ${id}`);
  const url = (reply.data as { page_url?: string }).page_url;
  if (url === undefined) throw new Error('no page link in /status');
  expect(JSON.stringify(reply.blocks)).toContain(`Open the run page: ${url}`);
  return h.local(url);
}

/** Every CSP complaint and page error the browser reports. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

beforeAll(async () => {
  h = await startPages();
  for (const line of WORKFLOW) expect((await h.command(line)).ok, line).toBe(true);
  runId = runIdOf(await h.command(`/run ticket="the app crashes" token="${SECRET_VALUE}"`));
  await h.waitForState(runId, 'waiting');
  link = await statusLink(runId);
  const response = await fetch(link);
  waiting = {
    html: await response.text(),
    csp: response.headers.get('content-security-policy') ?? '',
    headers: response.headers,
  };
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  await mkdir(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the run page', () => {
  it('shows the graph coloured by state, the timeline and the AI call', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toContain('Triage <b>pages</b>');
    expect(await page.locator('#run-state').textContent()).toBe('waiting');
    const classify = page.locator('.graph svg [id="node-Sort/Classify"]');
    expect(await classify.getAttribute('data-state')).toBe('done');
    const fill = await classify
      .locator('polygon')
      .first()
      .evaluate((node) => (globalThis as unknown as InPage).getComputedStyle(node).fill);
    expect(fill).toBe('rgb(46, 125, 50)');
    expect(await page.locator('.graph svg [id="node-Gate/Ask"]').getAttribute('data-state')).toBe('waiting');
    const rows = page.locator('#timeline-rows tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.nth(0).locator('th').textContent()).toBe('Sort / Classify');
    const ai = page.locator('.ai-call');
    expect(await ai.count()).toBe(1);
    const aiText = (await ai.textContent()) ?? '';
    expect(aiText).toContain('claude-sonnet-5');
    expect(aiText).toContain('0.91');
    expect(await ai.locator('.ai-response').textContent()).toBe('{"label":"bug","confidence":0.91}');
    expect(await page.locator('h2').allTextContents()).toEqual([
      'Graph',
      'Timeline',
      'Inputs and outputs',
      'AI calls',
      'Approvals',
      'Audit',
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'run-page-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const width = await page.evaluate(
      () => (globalThis as unknown as InPage).document.documentElement.scrollWidth,
    );
    expect(width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'run-page-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('turns a waiting run to succeeded live when it is approved, without a reload', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await page.goto(link);
    // Set in the page: a reload would lose it.
    await page.evaluate(() => {
      (globalThis as unknown as InPage).marker = 42;
    });
    const approved = await h.command(`/approve ${runId}`, BOB);
    expect(approved.ok, JSON.stringify(approved.blocks)).toBe(true);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as InPage).document.getElementById('run-state')?.getAttribute('data-state') ===
        'succeeded',
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.locator('#run-state').textContent()).toBe('succeeded');
    expect(await page.evaluate(() => (globalThis as unknown as InPage).marker)).toBe(42);
    expect(await page.locator('.graph svg [id="node-Gate/Ask"]').getAttribute('data-state')).toBe('done');
    expect(await page.locator('#timeline-rows tr').nth(2).locator('td').first().textContent()).toBe(
      'succeeded',
    );
    expect(problems).toEqual([]);
    await page.reload();
    expect(await page.locator('#approvals, section[aria-labelledby=h-approvals]').textContent()).toContain(
      'Bob',
    );
    const download = page.locator('a[download]');
    const snapshot = await fetch(new URL((await download.getAttribute('href')) ?? '', h.base));
    expect(snapshot.status).toBe(200);
    expect(await snapshot.json()).toMatchObject({ run_id: runId });
    await page.close();
  });
});

describe('links and headers', () => {
  it('answers 404 without a link or with a forged one (the same body), 410 for an expired one', async () => {
    const page = new URL(link);
    const bare = await fetch(`${h.base}${page.pathname}`);
    expect(bare.status).toBe(404);
    const bareBody = await bare.text();
    const forged = new URL(link);
    forged.searchParams.set('s', 'A'.repeat(43));
    const forgedAnswer = await fetch(forged);
    expect(forgedAnswer.status).toBe(404);
    expect(await forgedAnswer.text()).toBe(bareBody);
    const otherUser = new URL(link);
    otherUser.searchParams.set('u', 'mallory');
    expect((await fetch(otherUser)).status).toBe(404);
    const unknown = await fetch(`${h.base}/runs/nope${page.search}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe(bareBody);

    const expiry = Math.floor(Date.now() / 1000) - 60;
    const signature = linkSignature(PAGE_SECRET, 'run', runId, 'ada', expiry);
    const expired = await fetch(`${h.base}/runs/${runId}?${queryOf({ user: 'ada', expiry, signature })}`);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain(`ask for a new one with <code>/status ${runId}</code>`);
  });

  it('never puts a secret value in the HTML, and sends a strict CSP with every script under its nonce', async () => {
    await h.waitForState(runId, 'succeeded');
    const response = await fetch(link);
    const finished = await response.text();
    const { html, csp } = waiting;
    for (const page of [html, finished]) expect(page).not.toContain(SECRET_VALUE);
    expect(html).toContain('&quot;echoed&quot;: &quot;****&quot;');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts).toEqual([`<script nonce="${nonce}">`]);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(csp).toContain(`style-src 'sha256-${hash}'`);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(finished).not.toMatch(/<script/);
    for (const headers of [waiting.headers, response.headers]) {
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('cache-control')).toBe('no-store');
    }
    const events = await fetch(`${h.base}/runs/${runId}/events${new URL(link).search}`);
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    expect(await events.text()).toContain('"state":"succeeded"');
  });

  it('opens the workflow page from the run page: draft highlighted, history with diffs, review', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const problems = watchProblems(page);
    await page.goto(link);
    await page.getByRole('link', { name: 'Workflow page' }).click();
    await page.waitForURL(/\/workflows\/console\/local\/pages\?/);
    expect(await page.locator('pre.toml .tok-table').first().textContent()).toBe('[metadata]');
    expect(await page.locator('pre.toml').textContent()).toContain(`\${secret:API_TOKEN}`);
    expect(await page.locator('#h-history ~ details').count()).toBeGreaterThanOrEqual(WORKFLOW.length - 1);
    expect(await page.locator('.diff-add').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'workflow-page-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
