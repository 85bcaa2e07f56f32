/**
 * `aitws run` in-process on a temp data dir (embedded runtime: file store, in-process queue): a
 * workflow file runs to its end with progress and its messages printed, inputs reach it, a failure
 * and a pre-flight refusal exit 1 and 2, a run waiting for an approver exits 3 and stays waiting
 * on the data dir, and a signed artifact in an OCI layout runs only after it verifies.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildRuntime, type RuntimeSetup } from '../../src/app-runtime.js';
import { runChannel, runCommand } from '../../src/cli/run-command.js';
import { parseInputs } from '../../src/cli/run-inputs.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import { generateKeyPair, writeKeyPair } from '../../src/oci/keys.js';
import { buildPackage } from '../../src/oci/package.js';
import { writePackageLayout } from '../../src/oci/package-publish.js';
import { FileRunStore } from '../../src/runtime/run-store-file.js';
import { closedPort } from '../support/ports.js';
import { type RedisServer, startRedis, waitFor } from '../support/redis.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Ran {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

const dataDir = (): string => path.join(dir, 'data');

async function runIn(env: Record<string, string>, args: readonly string[]): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(
    [...args, '--data-dir', dataDir(), '--user', 'ada'],
    { LOG_LEVEL: 'silent', ...env },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out, err };
}

const run = (...args: string[]): Promise<Ran> => runIn({}, args);

async function file(name: string, text: string): Promise<string> {
  const where = path.join(dir, name);
  await writeFile(where, text);
  return where;
}

const HEAD = '[metadata]\nname = "Greeting"\nversion = "1.0.0"\n';

const GREETING = `${HEAD}
[[stages]]
name = "Build"
order = 1
[[stages.actions]]
name = "Shape"
type = "transform"
with = { set = { message = "Hello {{ inputs.who }}", count = "{{ inputs.count }}" } }
[[stages.actions]]
name = "Post"
type = "chat.notify"
with = { text = "Greeting: {{ steps.Shape.output.message }} x{{ inputs.count }}" }
`;

function runIdOf(out: readonly string[]): string {
  const id = out.map((line) => /^Run (r\w+) queued/.exec(line)?.[1]).find((found) => found !== undefined);
  if (id === undefined) throw new Error(`no run id in ${out.join('\n')}`);
  return id;
}

async function stored(id: string) {
  const store = new FileRunStore({ dataDir: dataDir() });
  try {
    return { run: await store.read(id), steps: await store.steps(id) };
  } finally {
    await store.close();
  }
}

describe('aitws run FILE', () => {
  it('runs a workflow to its end: progress, the posted message, the outcome, exit 0', async () => {
    const ran = await run(await file('greeting.toml', GREETING), '--input', 'who=Ada', '--input', 'count=3');
    expect(ran.err).toEqual([]);
    expect(ran.code).toBe(0);
    const id = runIdOf(ran.out);
    expect(ran.out[0]).toBe(`Run ${id} queued: Greeting from ${path.join(dir, 'greeting.toml')}.`);
    expect(ran.out).toContain('» Greeting: Hello Ada x3');
    expect(ran.out).toContain('  ✓ Build / Shape: {"message":"Hello Ada","count":3}');
    expect(ran.out).toContain('  ✓ Build / Post: {"posted":true,"target":null}');
    // The runtime's progress message is left out: the follower's lines say the same.
    expect(ran.out.filter((line) => line.startsWith('» '))).toEqual(['» Greeting: Hello Ada x3']);
    expect(ran.out).toContain(`${id}: succeeded`);
    expect(ran.out.at(-1)).toMatch(new RegExp(`^Run ${id} succeeded in .+ \\(2 of 2 actions\\)$`));
    const { run: record } = await stored(id);
    expect(record).toMatchObject({
      state: 'succeeded',
      channel: runChannel('Greeting'),
      startedBy: { id: 'ada', name: 'ada' },
      inputs: { who: 'Ada', count: 3 },
      workflow: { name: 'Greeting', version: 0, hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    });
  });

  it('fails with the reason and exit 1 when an action fails (a service nobody listens on)', async () => {
    const port = await closedPort();
    const text = `${HEAD}
[[external_services]]
name = "Api"
url = "http://127.0.0.1:${port}/"

[[stages]]
name = "Call"
order = 1
[[stages.actions]]
name = "Fetch"
type = "http.request"
with = { service = "Api", path = "/items" }
`;
    const ran = await run(await file('failing.toml', text));
    expect(ran.code).toBe(1);
    const id = runIdOf(ran.out);
    expect(ran.out.some((line) => line.startsWith('  ✗ Call / Fetch: failed: '))).toBe(true);
    expect(ran.out.at(-1)).toMatch(new RegExp(`^Run ${id} failed in .+ \\(1 of 1 action\\): .+`));
    expect((await stored(id)).run?.state).toBe('failed');
  });

  it('refuses before running with the pre-flight problems, exit 2, and starts nothing', async () => {
    const text = `${HEAD}
[[stages]]
name = "Build"
order = 1
[[stages.actions]]
name = "Mystery"
type = "acme.unknown"
[[stages.actions]]
name = "Post"
type = "chat.notify"
with = { text = "{{ steps.Nowhere.output.x }}" }
`;
    const ran = await run(await file('refused.toml', text));
    expect(ran.code).toBe(2);
    expect(ran.out).toEqual([]);
    expect(ran.err[0]).toMatch(/^aitws run: This workflow cannot run: \d+ problems\. Nothing was started\.$/);
    expect(ran.err.some((line) => line.includes('Mystery') && line.includes('acme.unknown'))).toBe(true);
    expect(ran.err.some((line) => line.includes('Nowhere'))).toBe(true);
    expect(await readdir(path.join(dataDir(), 'runs')).catch(() => [])).not.toContainEqual(
      expect.stringMatching(/^r/),
    );
  });

  it('exits 3 when the run waits for an approver, saying how to approve it; the run stays waiting', async () => {
    const text = `${HEAD}
[[roles]]
name = "Lead"
privileges = ["all"]

[[stages]]
name = "Gate"
order = 1
[[stages.actions]]
name = "Sign off"
type = "human.approval"
with = { approvers = ["Lead"], timeout = "2h" }
`;
    const ran = await run(await file('gated.toml', text));
    expect(ran.code).toBe(3);
    const id = runIdOf(ran.out);
    expect(ran.out.some((line) => line.startsWith('» '))).toBe(true);
    expect(ran.out).toContain(`Run ${id} waits for an approval (Gate/Sign off#1).`);
    expect(ran.out.join('\n')).toContain(`npm start -- --channel cli:Greeting --data-dir ${dataDir()}`);
    expect(ran.out.join('\n')).toContain(`/approve ${id}`);
    expect((await stored(id)).run).toMatchObject({ state: 'waiting', waitingFor: { kind: 'approval' } });
  });

  it('refuses usage mistakes with exit 2', async () => {
    const greeting = await file('greeting.toml', GREETING);
    expect((await run()).code).toBe(2);
    const bad = await run(greeting, '--input', 'nokey');
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toContain('is not key=value');
    const keyed = await run(greeting, '--key', path.join(dir, 'x.pub'));
    expect(keyed.code).toBe(2);
    expect(keyed.err[0]).toContain('--key verifies artifacts');
    const missing = await run(path.join(dir, 'absent.toml'));
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toContain('give --key PUB');
  });
});

describe('--input', () => {
  it('reads values as /run does: numbers, booleans, quoted text, arrays, bare words, spaces', () => {
    expect(
      parseInputs([
        'epochs=3',
        'rate=0.5',
        'force=true',
        'dataset=iris',
        'title="a b"',
        'tags=["x", "y"]',
        'note=two words',
      ]),
    ).toEqual({
      epochs: 3,
      rate: 0.5,
      force: true,
      dataset: 'iris',
      title: 'a b',
      tags: ['x', 'y'],
      note: 'two words',
    });
  });

  it('refuses a missing key, a repeated key, an unsafe key and an empty value', () => {
    expect(() => parseInputs(['=3'])).toThrow(/not key=value/);
    expect(() => parseInputs(['a=1', 'a=2'])).toThrow(/given twice/);
    expect(() => parseInputs(['__proto__=1'])).toThrow();
    expect(() => parseInputs(['a='])).toThrow(/empty value/);
  });
});

describe('aitws run REF (an OCI layout)', () => {
  async function packaged(): Promise<string> {
    const pkg = buildPackage({
      text: GREETING,
      name: 'localhost/team/greeting',
      privateKey: (await writeKeyPair(path.join(dir, 'signer'))).privateKey,
      created: '2026-01-01T00:00:00Z',
      files: [],
    });
    await writePackageLayout(path.join(dir, 'layout'), '1.0', pkg);
    return `oci-layout:${path.join(dir, 'layout')}:1.0`;
  }

  it('verifies, then runs the verified workflow', async () => {
    const ref = await packaged();
    const ran = await run(
      ref,
      '--key',
      path.join(dir, 'signer.pub'),
      '--input',
      'who=Grace',
      '--input',
      'count=1',
    );
    expect(ran.err).toEqual([]);
    expect(ran.code).toBe(0);
    expect(ran.out.some((line) => line.startsWith('✔ '))).toBe(true);
    expect(ran.out).toContainEqual(
      expect.stringMatching(/^Verified oci-layout:.+:1\.0 \(sha256:[0-9a-f]{64}\)\.$/),
    );
    expect(ran.out).toContain('» Greeting: Hello Grace x1');
    expect(ran.out.at(-1)).toMatch(/ succeeded in /);
  });

  it('refuses a wrong key with the failed checks, exit 1, and starts nothing', async () => {
    const ref = await packaged();
    await writeKeyPair(path.join(dir, 'other'), generateKeyPair());
    const ran = await run(ref, '--key', path.join(dir, 'other.pub'));
    expect(ran.code).toBe(1);
    expect(ran.out.some((line) => line.startsWith('✖ '))).toBe(true);
    expect(ran.err).toEqual([`aitws run: ${ref} did not verify; nothing was run.`]);
    expect(ran.out.some((line) => /^Run r\w+ queued/.test(line))).toBe(false);
    expect(await readdir(dataDir()).catch(() => [])).toEqual([]);
  });

  it('needs --key for a reference', async () => {
    const ran = await run(await packaged());
    expect(ran.code).toBe(2);
    expect(ran.err[0]).toContain('give --key PUB');
  });
});

describe('aitws run with REDIS_URL (the workers run it)', () => {
  let redis: RedisServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  beforeEach(() => {
    env = { REDIS_URL: redis.url, AITWS_REDIS_PREFIX: `t-run-${Math.random().toString(36).slice(2, 8)}` };
  });

  async function worker(): Promise<RuntimeSetup> {
    const config = loadConfig(env, ['storage', 'limits', 'log', 'assistant', 'runtime']);
    const runs = await buildRuntime({ config, logger: silentLogger });
    await runs.work(1);
    return runs;
  }

  it('without --wait, exits 0 once queued; a worker runs it later', async () => {
    const ran = await runIn(env, [
      await file('greeting.toml', GREETING),
      '--input',
      'who=Ada',
      '--input',
      'count=1',
    ]);
    expect(ran.err).toEqual([]);
    expect(ran.code).toBe(0);
    const id = runIdOf(ran.out);
    expect(ran.out.at(-1)).toContain('aitws worker');
    const runs = await worker();
    try {
      expect((await runs.runtime.store.read(id))?.inputs).toEqual({ who: 'Ada', count: 1 });
      await waitFor(async () => (await runs.runtime.store.read(id))?.state === 'succeeded', 10_000);
    } finally {
      await runs.close();
    }
  });

  it('with --wait, follows the run a worker works on to its end', async () => {
    const runs = await worker();
    try {
      const ran = await runIn(env, [
        await file('greeting.toml', GREETING),
        '--wait',
        '--input',
        'who=Bo',
        '--input',
        'count=2',
      ]);
      expect(ran.err).toEqual([]);
      expect(ran.code).toBe(0);
      const id = runIdOf(ran.out);
      expect(ran.out).toContain('  ✓ Build / Shape: {"message":"Hello Bo","count":2}');
      expect(ran.out.at(-1)).toMatch(new RegExp(`^Run ${id} succeeded in .+ \\(2 of 2 actions\\)$`));
    } finally {
      await runs.close();
    }
  });
});
