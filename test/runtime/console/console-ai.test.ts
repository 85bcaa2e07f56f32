/**
 * An AI step end to end in the console (the real bin/aitws.js, file store, in-process queue) with
 * the real Anthropic SDK against a fake Messages API: the run, its execution snapshot through
 * `aitws snapshot` validated against the aiwg schema, and a cached /replay that matches exactly
 * without asking the model again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../../support/cli.js';
import { answer, type FakeAnthropic, startFakeAnthropic } from '../../support/fake-anthropic.js';
import { snapshotErrors } from '../../support/snapshot-schema.js';

let dir: string;
let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-ai-'));
  fake.requests.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SCHEMA =
  '{"type":"object","required":["label","confidence"],"properties":{"label":{"enum":["bug","question"]},"confidence":{"type":"number"}}}';

const WORKFLOW = [
  '/create name="Triage" version="1.0.0"',
  '/add stages name="Sort" order=1',
  `/add stages.actions stage="Sort" name="Classify" type="ai.invoke" with={ prompt = "Classify: {{ inputs.ticket }}", model = "claude-sonnet-5", execution_mode = "strict", seed = 7, output = { schema = '${SCHEMA}' } }`,
  '/add stages.actions stage="Sort" name="Post" type="chat.notify" with={ text = "Label: {{ steps.Classify.output.value.label }}" }',
];

type Line = Record<string, unknown>;

function commandLines(lines: Line[]): { ok: boolean; text: string; data: Record<string, unknown> }[] {
  return lines.filter((line) => 'command' in line) as never;
}

describe('an AI step in the console', () => {
  it('runs, writes a snapshot that validates, and a cached replay matches exactly with no new request', async () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: fake.url };
    fake.enqueue(answer('not json'), answer('{"label":"bug","confidence":0.91}'));
    const first = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      env,
      input: `${[...WORKFLOW, '/run ticket="the app crashes"'].join('\n')}\n`,
    });
    const lines = jsonLines(first.stdout);
    const run = commandLines(lines).at(-1);
    expect(run?.ok, first.stdout).toBe(true);
    const id = String(run?.data.run_id);
    expect(first.stdout).toContain('Label: bug');
    expect(fake.requests).toHaveLength(2);
    // Strict mode: temperature 0 on the wire.
    expect(fake.requests[0]?.body).toMatchObject({ model: 'claude-sonnet-5', temperature: 0 });

    const printed = await runCli(['snapshot', id, '--data-dir', path.join(dir, '.aitws')], { cwd: dir, env });
    expect(printed.stderr).toBe('');
    const snapshot = JSON.parse(printed.stdout) as Record<string, unknown>;
    expect(snapshotErrors(snapshot)).toEqual([]);
    expect(snapshot).toMatchObject({
      run_id: id,
      config: { model: { id: 'claude-sonnet-5' }, execution_mode: 'strict', temperature: 0, seed: 7 },
      metrics: { ai_calls_count: 1, iterations: 2, repairs: 1 },
      replay_status: { replayed: false, match_status: 'not_replayed' },
    });

    const replay = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      env,
      input: `/replay ${id} mode=cached\n`,
    });
    const replayed = commandLines(jsonLines(replay.stdout)).at(-1);
    expect(replayed?.ok, replay.stdout).toBe(true);
    expect(fake.requests).toHaveLength(2);
    const after = await runCli(['snapshot', id, '--data-dir', path.join(dir, '.aitws')], { cwd: dir, env });
    expect(JSON.parse(after.stdout)).toMatchObject({
      replay_status: { replayed: true, replay_count: 1, match_status: 'exact_match' },
    });
  });

  it('a low-confidence answer waits for a reviewer; /approve RUN lets the run go on with it', async () => {
    const env = {
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: fake.url,
      AITWS_ADMINS: 'console:ada',
    };
    fake.enqueue(answer('{"label":"question","confidence":0.4}'));
    const escalating = WORKFLOW.map((line) =>
      line.replace('output = {', 'escalate_below = 0.7, approvers = ["Reviewer"], output = {'),
    );
    const first = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      env,
      input: `${[
        ...escalating,
        '/add roles name="Reviewer" privileges=["read", "approve"]',
        '/grant bob Reviewer',
        '/run ticket="how do I log in?"',
      ].join('\n')}\n`,
    });
    const id = String(commandLines(jsonLines(first.stdout)).at(-1)?.data.run_id);
    expect(first.stdout).toContain('confidence 0.4 is below 0.7');
    expect(first.stdout).not.toContain('Label: question');

    const approved = await runCli(['console', '--json', '--user', 'bob'], {
      cwd: dir,
      env,
      input: `/approve ${id}\n`,
    });
    expect(approved.stdout, approved.stdout).toContain('Label: question');
    const after = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      env,
      input: `/status ${id}\n`,
    });
    const status = commandLines(jsonLines(after.stdout)).at(-1);
    expect(status?.data).toMatchObject({ state: 'succeeded' });
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a run that could cost more than the workspace has left, before anything is asked', async () => {
    const env = {
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: fake.url,
      AITWS_AI_BUDGET_USD: '0.001',
    };
    const result = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      env,
      input: `${[...WORKFLOW, '/run ticket="x"'].join('\n')}\n`,
    });
    const run = commandLines(jsonLines(result.stdout)).at(-1);
    expect(run?.ok).toBe(false);
    expect(run?.data).toMatchObject({ error: { code: 'BUDGET_EXHAUSTED' } });
    expect(run?.text).toMatch(/may cost up to \$0\.\d+; the workspace has \$0\.001\d* left this month/);
    expect(fake.requests).toHaveLength(0);
  });

  it('drift_detected fires the triggers that handle it', async () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: fake.url };
    fake.enqueue(answer('prose, not JSON'), answer('{"label":"bug","confidence":0.9}'));
    const drifting = WORKFLOW.map((line) =>
      line.replace(
        'output = {',
        'drift = { metric = "validation_failure_rate", threshold = 0.5, min_samples = 1 }, output = {',
      ),
    );
    const result = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      env,
      input: `${[
        ...drifting,
        '/add events name="Drift" type="drift_detected"',
        '/add handlers name="Warn" action="chat.notify" with={ text = "Drift in {{ inputs.action }}: {{ inputs.metric }} {{ inputs.value }}" }',
        '/add triggers name="OnDrift" event="Drift" handler="Warn"',
        '/run ticket="x"',
      ].join('\n')}\n`,
    });
    expect(commandLines(jsonLines(result.stdout)).at(-1)?.ok, result.stdout).toBe(true);
    expect(result.stdout).toContain('Drift in Classify: validation_failure_rate 1');
  });

  it('a live replay asks the model again and records how the outputs compare', async () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: fake.url };
    fake.enqueue(answer('{"label":"bug","confidence":0.91}'));
    const first = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      env,
      input: `${[...WORKFLOW, '/run ticket="the app crashes"'].join('\n')}\n`,
    });
    const id = String(commandLines(jsonLines(first.stdout)).at(-1)?.data.run_id);
    // The model now answers differently: the same shape, another label and confidence.
    fake.enqueue(answer('{"label":"question","confidence":0.5}'));
    const replay = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      env,
      input: `/replay ${id} mode=live threshold=0.99\n`,
    });
    expect(commandLines(jsonLines(replay.stdout)).at(-1)?.ok, replay.stdout).toBe(true);
    expect(fake.requests).toHaveLength(2);
    const after = await runCli(['snapshot', id, '--data-dir', path.join(dir, '.aitws')], { cwd: dir, env });
    expect(JSON.parse(after.stdout)).toMatchObject({
      replay_status: { replayed: true, replay_count: 1, match_status: 'partial_match' },
    });
  });
});
