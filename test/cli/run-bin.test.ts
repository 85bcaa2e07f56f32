/** `aitws run FILE` through the real bin/aitws.js, as a script or a CI job runs it. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-run-bin-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const WORKFLOW = `[metadata]
name = "Greeter"
version = "1.0.0"

[[stages]]
name = "Compose"
order = 1

[[stages.actions]]
name = "Greeting"
type = "transform"
with = { set = { text = "Hello {{ inputs.who }}" } }

[[stages.actions]]
name = "Post"
type = "chat.notify"
with = { text = "{{ steps.Greeting.output.text }}!" }
`;

it('runs a workflow file with inputs, prints its messages and exits with the outcome', async () => {
  await writeFile(path.join(dir, 'greeter.toml'), WORKFLOW);
  const ran = await runCli(['run', 'greeter.toml', '--input', 'who=Ada', '--user', 'ci'], { cwd: dir });
  expect(ran.stderr).toBe('');
  expect(ran.stdout).toContain('Hello Ada!');
  expect(ran.stdout).toMatch(/succeeded/);
  expect(ran.code).toBe(0);

  const refused = await runCli(['run', 'missing.toml', '--user', 'ci'], { cwd: dir });
  expect(refused.code).toBe(2);
  expect(refused.stderr).not.toBe('');
});
