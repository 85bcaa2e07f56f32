/**
 * Runs in the console, as a person or a script uses them: the real `bin/aitws.js`, piped, on the
 * file store with the in-process queue. The piped console stays until its runs are finished.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../../support/cli.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-runs-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const WORKFLOW = [
  '/create name="Greeter" version="1.0.0"',
  '/add stages name="Compose" order=1',
  '/add stages.actions stage="Compose" name="Greeting" type="transform" with={ set = { text = "Hello {{ inputs.who }}" } }',
  '/add stages name="Tell" order=2',
  '/add stages.actions stage="Tell" name="Post" type="chat.notify" with={ text = "{{ steps.Greeting.output.text }}!" }',
];

type Line = Record<string, unknown>;

function commandLines(lines: Line[]): Line[] {
  return lines.filter((line) => 'command' in line);
}

function messages(lines: Line[]): string[] {
  return lines
    .filter((line) => 'message' in line)
    .map((line) => String((line.message as { text: string }).text));
}

describe('runs in the piped console', () => {
  it('/run runs the draft and the console waits for it; /status, /results and /jobs report it', async () => {
    const first = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      input: `${[...WORKFLOW, '/run who="Ada"'].join('\n')}\n`,
    });
    expect(first.stderr).toBe('');
    const lines = jsonLines(first.stdout);
    const run = commandLines(lines).at(-1) as { ok: boolean; data: { run_id: string } };
    expect(run.ok).toBe(true);
    const id = run.data.run_id;
    expect(id).toMatch(/^r[a-z0-9]{10}$/);
    expect(messages(lines)).toContain('Hello Ada!');
    expect(first.code).toBe(0);

    const second = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      input: `/status ${id}\n/results ${id}\n/jobs\n/jobs state=failed\n`,
    });
    const [status, results, jobs, failed] = commandLines(jsonLines(second.stdout)) as {
      ok: boolean;
      text: string;
      data: Record<string, unknown>;
    }[];
    expect(status?.data).toMatchObject({
      run_id: id,
      state: 'succeeded',
      progress: { percent: 100, done: 2, total: 2 },
    });
    expect(status?.text).toContain('succeeded');
    expect(results?.text).toContain('Compose / Greeting');
    expect(results?.text).toContain('Hello Ada');
    expect(jobs?.text).toContain(id);
    expect(failed?.text).toBe('No failed runs here.');
  });

  it('refuses a workflow pre-flight would not run, naming each problem, and starts nothing', async () => {
    const result = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      input:
        '/create name="Broken"\n/add stages name="S" order=1\n/add stages.actions stage="S" name="A" type="nope.nothing"\n/run\n/jobs\n',
    });
    const [, , , run, jobs] = commandLines(jsonLines(result.stdout)) as { ok: boolean; text: string }[];
    expect(run?.ok).toBe(false);
    expect(run?.text).toContain('cannot run');
    expect(run?.text).toContain('nope.nothing');
    expect(jobs?.text).toBe('No runs here yet. /run starts one.');
    expect(result.code).toBe(1);
  });

  it('a failed run: /status says how far it got, the reason from under fetch, and that /retry goes on', async () => {
    const result = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      input: `${[
        '/create name="Unreachable"',
        // Port 9 is one fetch refuses outright ("bad port"): no network needed to fail.
        '/add external_services name="Api" type="REST" url="http://127.0.0.1:9"',
        '/add stages name="S" order=1',
        '/add stages.actions stage="S" name="Call" type="http.request" with={ service = "Api", method = "GET", path = "/x" }',
        '/run',
      ].join('\n')}\n`,
    });
    const run = commandLines(jsonLines(result.stdout)).at(-1) as { data: { run_id: string } };
    const id = run.data.run_id;
    const second = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      input: `/status ${id}\n/results ${id}\n`,
    });
    const [status, results] = commandLines(jsonLines(second.stdout)) as { text: string; data: unknown }[];
    expect(status?.data).toMatchObject({ state: 'failed', progress: { percent: 100, done: 1, total: 1 } });
    expect(status?.text).toContain('Progress: 100% (1 of 1 action)');
    expect(status?.text).toContain('Error: S/Call#1: Could not reach Api: bad port.');
    expect(status?.text).toContain(
      `/retry ${id} runs it again from the failed action; completed actions are kept.`,
    );
    expect(results?.text).toContain(`Run ${id} (failed): 1 action`);
  });

  it('/cancel and /retry say what they did; unknown runs are refused with a hint', async () => {
    const result = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      input: '/status rnothere000\n/cancel rnothere000\n/retry ../etc\n',
    });
    for (const line of commandLines(jsonLines(result.stdout)) as { ok: boolean; text: string }[]) {
      expect(line.ok).toBe(false);
      expect(line.text).toMatch(/There is no run .* in this channel/);
    }
  });
});
