/**
 * `aitws serve` in this process with run pages on (file store, runs worked on here), a fake
 * Anthropic API for the AI step, and a channel whose workflow classifies with AI, echoes an input
 * that holds a secret's value, then waits for a human approval. Commands go through the real
 * dispatcher, as a chat adapter would send them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PlatformFactory } from '../../src/adapters/platform.js';
import type { Reply } from '../../src/commands/reply.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import { type RunningServer, startServer } from '../../src/serve.js';
import { answer, type FakeAnthropic, startFakeAnthropic } from '../support/fake-anthropic.js';

export const PAGE_SECRET = 'page-secret-for-browser-tests-0123456789';
export const SECRET_VALUE = 'sekret-Value-8f3a91c2d7';
export const CHANNEL = { platform: 'console', workspace: 'local', channel: 'pages' } as const;
export const ADA = { id: 'ada', name: 'Ada' };
export const BOB = { id: 'bob', name: 'Bob' };

const SCHEMA =
  '{"type":"object","required":["label","confidence"],"properties":{"label":{"enum":["bug","question"]},"confidence":{"type":"number"}}}';

export const WORKFLOW = [
  '/create name="Triage <b>pages</b>" version="1.0.0"',
  '/add roles name="Approver" privileges=["read", "approve"]',
  '/grant bob Approver',
  '/add stages name="Sort" order=1',
  `/add stages.actions stage="Sort" name="Classify" type="ai.invoke" with={ prompt = "Classify: {{ inputs.ticket }}", model = "claude-sonnet-5", output = { schema = '${SCHEMA}' } }`,
  `/add stages.actions stage="Sort" name="Echo" type="transform" with={ set = { echoed = "{{ inputs.token }}", ref = "\${secret:API_TOKEN}" } }`,
  '/add stages name="Gate" order=2',
  '/add stages.actions stage="Gate" name="Ask" type="human.approval" with={ approvers = ["Approver"], message = "Ship it?" }',
];

export interface PagesHarness {
  readonly running: RunningServer;
  readonly fake: FakeAnthropic;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  command(text: string, actor?: { id: string; name: string }): Promise<Reply>;
  /** The same URL on the test server's origin. */
  local(url: string): string;
  waitForState(runId: string, state: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const noPlatform: PlatformFactory = () => ({
  name: 'test',
  routes: [],
  start: async () => undefined,
  stop: async () => undefined,
});

export async function startPages(): Promise<PagesHarness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-pages-'));
  const fake = await startFakeAnthropic();
  fake.setDefault(() => answer('{"label":"bug","confidence":0.91}'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    AITWS_DATA_DIR: dir,
    AITWS_PAGE_SECRET: PAGE_SECRET,
    AITWS_PUBLIC_URL: 'https://bot.example.com',
    AITWS_ADMINS: 'console:ada',
    AITWS_SECRET_API_TOKEN: SECRET_VALUE,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: fake.url,
  });
  const running = await startServer(config, silentLogger, [noPlatform]);
  if (running === undefined) throw new Error('server did not start');
  const base = `http://127.0.0.1:${running.port}`;
  return {
    running,
    fake,
    base,
    command: (text, actor = ADA) => running.core.dispatcher.handle({ text, actor, channel: CHANNEL }),
    local: (url) => {
      const parsed = new URL(url);
      return `${base}${parsed.pathname}${parsed.search}`;
    },
    async waitForState(runId, state, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const run = await running.runs.runtime.store.read(runId);
        if (run?.state === state) return;
        if (Date.now() > end) throw new Error(`run ${runId} is ${run?.state}, not ${state}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await running.stop();
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The run id a /run reply carries. */
export function runIdOf(reply: Reply): string {
  const data = reply.data as { run_id?: unknown } | undefined;
  if (typeof data?.run_id !== 'string') throw new Error(`no run id in ${JSON.stringify(reply)}`);
  return data.run_id;
}
