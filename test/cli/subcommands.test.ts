/**
 * The command line tells the truth: each subcommand validates only the environment variables it
 * uses (a bad PORT stops `serve`, never the console, `validate` or `fmt`), every variable belongs
 * to some subcommand's part, and `aitws --version` prints the package's version.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CONFIG_PARTS, KNOWN_VARIABLES, variablesByPart } from '../../src/config.js';
import { runCli } from '../support/cli.js';
import { REPO_ROOT, SAMPLE_TOML } from '../support/paths.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('configuration per subcommand', () => {
  const broken = { PORT: 'abc', SLACK_BOT_TOKEN: 'not-a-token', DISCORD_APPLICATION_ID: 'x' };

  it('runs the console, validate and fmt with HTTP and chat variables that serve would refuse', async () => {
    const console = await runCli(['console'], { cwd: dir, input: '/create name="Env"\n', env: broken });
    expect(console.stderr).toBe('');
    expect(console.stdout).toContain('Created "Env" · v1');
    expect((await runCli(['validate', SAMPLE_TOML], { cwd: dir, env: broken })).code).toBe(0);
    expect((await runCli(['fmt', SAMPLE_TOML, '--check'], { cwd: dir, env: broken })).stderr).not.toMatch(
      /PORT/,
    );
  });

  it('stops serve on the variable it reads, naming it, in one message without a stack', async () => {
    const serve = await runCli(['serve'], { cwd: dir, env: { PORT: 'abc' } });
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/^aitws: The environment configuration is invalid\.\n {2}PORT: /);
    expect(serve.stderr).not.toMatch(/\n\s+at /);
  });

  it('still stops the console on a variable it reads', async () => {
    const result = await runCli(['console'], { cwd: dir, input: '', env: { AITWS_MAX_NESTING: 'deep' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AITWS_MAX_NESTING');
  });

  it('puts every variable it knows in exactly one part', () => {
    const parts = variablesByPart();
    const placed = ALL_CONFIG_PARTS.flatMap((part) => parts[part]);
    expect([...placed].sort()).toEqual([...KNOWN_VARIABLES].sort());
  });
});

describe('aitws --version', () => {
  it('prints the version from package.json', async () => {
    const { version } = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v', 'version']) {
      const result = await runCli([flag], { cwd: dir });
      expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
  });
});
