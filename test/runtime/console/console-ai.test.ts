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
  `/add stages.actions stage="Sort" name="Classify" type="ai.invoke" with={ prompt = "Classify: {{ inputs.ticket }}", model = "claude-sonnet-4-5", execution_mode = "strict", seed = 7, output = { schema = '${SCHEMA}' } }`,
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
    expect(fake.requests[0]?.body).toMatchObject({ model: 'claude-sonnet-4-5', temperature: 0 });

    const printed = await runCli(['snapshot', id, '--data-dir', path.join(dir, '.aitws')], { cwd: dir, env });
    expect(printed.stderr).toBe('');
    const snapshot = JSON.parse(printed.stdout) as Record<string, unknown>;
    expect(snapshotErrors(snapshot)).toEqual([]);
    expect(snapshot).toMatchObject({
      run_id: id,
      config: { model: { id: 'claude-sonnet-4-5' }, execution_mode: 'strict', temperature: 0, seed: 7 },
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
});
