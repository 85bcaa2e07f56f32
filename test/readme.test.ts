/**
 * "The README is the front door and is tested": every fenced block in README.md is either checked
 * here against the real `bin/aitws.js`, or listed in NOT_CHECKED with the reason it can't be.
 *
 * - `text` blocks of `aitws:local> ` lines are console sessions: their commands run in order through
 *   one `aitws console` (what `npm start` opens) and what each printed must be the lines shown
 *   under its prompt, where `…` stands for any text.
 * - The `sh` block of "Validate and format files in CI": each command runs on a copy of
 *   test/fixtures/ai.toml (and on broken files) and exits as its comment says.
 * - The GitHub Actions step in the same section: its aitws commands pass on a canonical, valid
 *   file and fail on one that is not canonical.
 * - The console synopsis: it is the line `aitws help` prints, and every option in it is accepted.
 *
 * Only fenced blocks are examples here; samples quoted inline in prose (the `--json` object, the
 * sample's three warnings) are checked by the tests of those features (test/console/).
 */

import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PRIVILEGES } from '../src/access/privileges.js';
import { COMMANDS } from '../src/commands/registry.js';
import type { TomlValue } from '../src/document/types.js';
import { aiInvokeParams } from '../src/runtime/ai/invoke-params.js';
import { checkAiInvoke } from '../src/runtime/executors/ai-invoke.js';
import { type Block, fencedBlocks, linePattern } from './docs/replay.js';
import { type CliResult, jsonLines, runCli } from './support/cli.js';
import { REPO_ROOT, SAMPLE_TOML } from './support/paths.js';

/** Blocks that no test here runs, keyed by how their first line starts. */
const NOT_CHECKED: Readonly<Record<string, string>> = {
  'npm install': 'installs from the registry, and `npm test` is the whole suite, this file included',
  'REDIS_URL=redis://127.0.0.1:6379 SLACK_BOT_TOKEN=':
    'needs real Slack credentials and a Redis on the machine’s 6379; it shows no output',
  'REDIS_URL=redis://127.0.0.1:6379 npm start':
    'needs a Redis on the machine’s 6379 (the suite starts its own, never on 6379); it shows no output',
  'npm test ': 'the suite, type check, linter and benchmarks themselves, which CI runs; no output shown',
};

const PROMPT = 'aitws:local> ';
const CI_HEADING = 'Validate and format files in CI';

const BLOCKS = fencedBlocks(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));

const CHECKED = {
  session: (block: Block) => block.language === 'text' && block.lines[0]?.startsWith('aitws:local') === true,
  synopsis: (block: Block) =>
    block.language === 'text' && block.lines[0]?.startsWith('aitws console') === true,
  ciCommands: (block: Block) => block.heading === CI_HEADING && block.language === 'sh',
  ciStep: (block: Block) => block.heading === CI_HEADING && block.language === 'yaml',
  aiStep: (block: Block) => block.language === 'toml' && block.lines[0] === '[stages.actions.with]',
} satisfies Record<string, (block: Block) => boolean>;

function onlyBlock(check: (block: Block) => boolean): Block {
  const found = BLOCKS.filter(check);
  if (found.length !== 1 || found[0] === undefined)
    throw new Error(`expected one such block, found ${found.length}`);
  return found[0];
}

interface Step {
  readonly command: string;
  /** `aitws:local (bob)> ` is a line typed in `aitws console --user bob`. */
  readonly user?: string;
  readonly expected: string[];
}

const PROMPT_LINE = /^aitws:local(?: \(([a-z]+)\))?> (.*)$/;

function sessionSteps(block: Block): Step[] {
  const steps: Step[] = [];
  for (const line of block.lines) {
    const prompt = PROMPT_LINE.exec(line);
    if (prompt === null) steps.at(-1)?.expected.push(line);
    else
      steps.push({
        command: prompt[2] ?? '',
        ...(prompt[1] === undefined ? {} : { user: prompt[1] }),
        expected: [],
      });
  }
  return steps;
}

/** Consecutive steps typed by the same person: one console each. */
function byUser(steps: readonly Step[]): Step[][] {
  const runs: Step[][] = [];
  for (const step of steps) {
    const last = runs.at(-1);
    if (last !== undefined && last[0]?.user === step.user) last.push(step);
    else runs.push([step]);
  }
  return runs;
}

/** The README's access example names alice as the workspace admin (AITWS_ADMINS). */
const SESSION_ENV = { AITWS_ADMINS: 'console:alice' };

/**
 * A block that starts a draft (/create or /load) starts a fresh session; any other block goes on
 * with the draft the blocks before it left. The README reads that way: the block of mistyped
 * commands says "the draft is untouched", meaning the example session's draft (on a channel with
 * no draft at all, both of its commands would only say "This channel has no draft yet").
 */
function sessions(blocks: readonly Block[]): Step[][] {
  const grouped: Step[][] = [];
  for (const block of blocks) {
    const steps = sessionSteps(block);
    const startsDraft = /^\/(create|load)\b/.test(steps[0]?.command ?? '');
    const previous = grouped.at(-1);
    if (startsDraft || previous === undefined) grouped.push(steps);
    else previous.push(...steps);
  }
  return grouped;
}

/** `npx aitws ARGS   # comment` → ARGS as words, and the comment. */
function aitwsCommand(line: string): { text: string; args: string[]; comment: string } {
  const [, text = line, comment = ''] = /^(.*?)\s+#\s*(.*)$/.exec(line) ?? [];
  if (!text.startsWith('npx aitws ')) throw new Error(`not an aitws command: ${line}`);
  return { text, args: text.slice('npx aitws '.length).trim().split(/\s+/), comment };
}

/** The exit codes a comment states, in order: "exit 0: valid, 1: errors" → [0, 1]. */
function statedExitCodes(comment: string): number[] {
  return (comment.match(/\b\d\b/g) ?? []).map(Number);
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-readme-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `aitws ARGS` in a folder of the temp dir, expanding `*.toml` in a path as the shell would. */
async function aitws(args: readonly string[], folder = '.'): Promise<CliResult> {
  const cwd = path.join(dir, folder);
  const expanded: string[] = [];
  for (const arg of args) {
    if (!arg.endsWith('/*.toml')) expanded.push(arg);
    else {
      const parent = path.dirname(arg);
      const names = (await readdir(path.join(cwd, parent))).filter((name) => name.endsWith('.toml')).sort();
      expanded.push(...names.map((name) => `${parent}/${name}`));
    }
  }
  return runCli(expanded, { cwd });
}

async function put(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
  await writeFile(path.join(dir, file), content);
}

it('every fenced block in README.md is checked here or listed as not checkable', () => {
  const unaccounted = BLOCKS.filter(
    (block) =>
      !Object.values(CHECKED).some((check) => check(block)) &&
      !Object.keys(NOT_CHECKED).some((start) => block.lines[0]?.startsWith(start)),
  );
  expect(unaccounted.map((block) => `${block.heading}: ${block.lines[0]}`)).toEqual([]);
  expect(BLOCKS.filter(CHECKED.session).length).toBeGreaterThan(0);
});

describe('console sessions', () => {
  // An unknown command changes nothing (the README's promise), so one sent before each command
  // marks in the console's output where that command's reply begins.
  const MARK = '/readme-next-command';
  let markReply: string;

  beforeAll(async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'aitws-readme-mark-'));
    markReply = (await runCli(['console'], { cwd: home, input: `${MARK}\n` })).stdout;
    await rm(home, { recursive: true, force: true });
    expect(markReply).toMatch(/^✖ /);
  });

  /**
   * `aitws console` as `npm start` runs it (drafts in .aitws/ of a fresh working dir), one after
   * another for each person who types; they share the data dir, as consoles on one machine do.
   */
  async function printedPerCommand(steps: readonly Step[]): Promise<string[][]> {
    const printed: string[][] = [];
    for (const run of byUser(steps)) {
      const input = run.map((step) => `${MARK}\n${step.command}\n`).join('');
      const user = run[0]?.user;
      // The marker command always fails, so the console runs with its old exit status.
      const args = ['console', '--exit-zero', ...(user === undefined ? [] : ['--user', user])];
      const result = await runCli(args, { cwd: dir, input, env: SESSION_ENV });
      expect(result.code).toBe(0);
      const [beforeFirst, ...replies] = result.stdout.split(markReply);
      expect(beforeFirst).toBe('');
      printed.push(...replies.map((reply) => reply.replace(/\n$/, '').split('\n')));
    }
    return printed;
  }

  for (const steps of sessions(BLOCKS.filter(CHECKED.session))) {
    it(`prints what the README shows for ${steps[0]?.command} …`, async () => {
      const printed = await printedPerCommand(steps);
      expect(printed).toHaveLength(steps.length);
      steps.forEach((step, i) => {
        // Printed lines that match their README line are shown as the README line, so a failure
        // diffs the README against only what really differs.
        const shown = (printed[i] ?? []).map((line, j) => {
          const expected = step.expected[j];
          return expected !== undefined && linePattern(expected).test(line) ? expected : line;
        });
        expect.soft(shown, `after ${PROMPT}${step.command}`).toEqual(step.expected);
      });
    });
  }
});

describe('Validate and format files in CI', () => {
  const commands = onlyBlock(CHECKED.ciCommands)
    .lines.filter((line) => line.trim() !== '')
    .map(aitwsCommand);

  function command(text: string): { args: string[]; comment: string } {
    const found = commands.find((candidate) => candidate.text === text);
    if (found === undefined) throw new Error(`README no longer shows \`${text}\``);
    return found;
  }

  it('shows only commands checked here', () => {
    expect(commands.map((c) => c.text)).toEqual([
      'npx aitws validate workflows/*.toml',
      'npx aitws validate --strict workflow.toml',
      'npx aitws graph workflow.toml -o flow.svg',
      'npx aitws validate --json workflow.toml',
      'npx aitws fmt workflows/*.toml --check',
      'npx aitws fmt workflows/*.toml --write',
    ]);
  });

  it('validate workflows/*.toml: exit 0 valid, 1 errors, 2 unreadable or not TOML', async () => {
    const { args, comment } = command('npx aitws validate workflows/*.toml');
    expect(statedExitCodes(comment)).toEqual([0, 1, 2]);
    // One working dir per case, so the four runs can go at once.
    await put('valid/workflows/ai.toml', await readFile(SAMPLE_TOML, 'utf8'));
    await put('errors/workflows/bad.toml', '[communication]\nport = 70000\n');
    await mkdir(path.join(dir, 'unreadable/workflows/folder.toml'), { recursive: true });
    await put('not-toml/workflows/broken.toml', '[metadata\nname = "x"\n');
    const folders = ['valid', 'errors', 'unreadable', 'not-toml'];
    const results = await Promise.all(folders.map((folder) => aitws(args, folder)));
    expect(results.map((result) => result.code)).toEqual([0, 1, 2, 2]);
  });

  it('validate --strict: dangling references are errors', async () => {
    await copyFile(SAMPLE_TOML, path.join(dir, 'workflow.toml'));
    const [strict, draft] = await Promise.all([
      aitws(command('npx aitws validate --strict workflow.toml').args),
      aitws(['validate', 'workflow.toml']),
    ]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/workflow\.toml: error: .*unknown stage "ErrorHandling"/);
    expect(draft.code).toBe(0);
  });

  it('graph -o flow.svg: the picture /graph posts, as SVG', async () => {
    await copyFile(SAMPLE_TOML, path.join(dir, 'workflow.toml'));
    const { args, comment } = command('npx aitws graph workflow.toml -o flow.svg');
    expect(comment).toContain('workflow.png');
    const result = await aitws(args);
    expect(result.code).toBe(0);
    const svg = await readFile(path.join(dir, 'flow.svg'), 'utf8');
    expect(svg).toContain('<svg');
    expect(svg).toContain('missing: ErrorHandling');
  });

  it('validate --json: machine-readable findings', async () => {
    await copyFile(SAMPLE_TOML, path.join(dir, 'workflow.toml'));
    const result = await aitws(command('npx aitws validate --json workflow.toml').args);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject([
      // Three dangling references and eight action types no executor runs.
      { file: 'workflow.toml', errors: [], warnings: Array(11).fill({}) },
    ]);
  });

  it('fmt --check exits 1 when a file is not canonical, 2 when unreadable; --write fixes them, comments kept', async () => {
    const check = command('npx aitws fmt workflows/*.toml --check');
    const write = command('npx aitws fmt workflows/*.toml --write');
    expect(statedExitCodes(check.comment)).toEqual([1, 2]);
    expect(write.comment).toMatch(/comments kept/);
    await put('workflows/ai.toml', await readFile(SAMPLE_TOML, 'utf8'));
    await put('workflows/main.toml', '[metadata]\nversion="1.0.0" # the release\nname="Main"\n');
    expect((await aitws(check.args)).code).toBe(1);
    expect((await aitws(write.args)).code).toBe(0);
    expect((await aitws(check.args)).code).toBe(0);
    const formatted = await readFile(path.join(dir, 'workflows/ai.toml'), 'utf8');
    expect(formatted).toContain('protocol = "TLS" # Supported values: TLS, DTLS, QUIC\n');
    expect(await readFile(path.join(dir, 'workflows/main.toml'), 'utf8')).toBe(
      '[metadata]\nname = "Main"\nversion = "1.0.0" # the release\n',
    );
    const [printed, validated] = await Promise.all([
      aitws(['fmt', 'workflows/ai.toml']),
      aitws(['validate', 'workflows/ai.toml']),
    ]);
    expect(printed.stdout).toBe(formatted);
    expect(validated.code).toBe(0);
    await put('workflows/broken.toml', '[metadata\nname = "x"\n');
    expect((await aitws(check.args)).code).toBe(2);
  });

  it('the GitHub Actions step passes on a canonical, valid file and fails on one not canonical', async () => {
    const [step = ''] = onlyBlock(CHECKED.ciStep).lines;
    const [install, ...rest] = step.replace(/^- run: /, '').split(' && ');
    expect(install).toBe('npm ci');
    const steps = rest.map((part) => aitwsCommand(part).args);
    const passes = async (folder: string): Promise<boolean> => {
      for (const args of steps) if ((await aitws(args, folder)).code !== 0) return false;
      return true;
    };
    await put(
      'canonical/workflows/main.toml',
      '[metadata]\nname = "Main" # shown in chat\nversion = "1.0.0"\n',
    );
    await put('not-canonical/workflows/main.toml', '[metadata]\nversion="1.0.0"\nname="Main"\n');
    expect(await Promise.all([passes('canonical'), passes('not-canonical')])).toEqual([true, false]);
  });
});

describe('The console', () => {
  const [synopsis = ''] = onlyBlock(CHECKED.synopsis).lines;

  it('the synopsis is the one `aitws help` prints', async () => {
    const help = await aitws(['help']);
    expect(help.stdout.split('\n').map((line) => line.trim())).toContain(synopsis.replace(/^aitws /, ''));
  });

  it('every option in the synopsis is accepted', async () => {
    expect(synopsis).toBe(
      'aitws console [--channel NAME] [--user NAME] [--data-dir DIR] [--json] [--no-color] [--exit-zero]',
    );
    const result = await runCli(
      [
        'console',
        '--channel',
        'ops',
        '--user',
        'ada',
        '--data-dir',
        'state',
        '--json',
        '--no-color',
        '--exit-zero',
      ],
      {
        cwd: dir,
        input: '/create\n/history\n',
      },
    );
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)[1]).toMatchObject({ ok: true, data: { versions: [{ by: 'ada' }] } });
    expect((await stat(path.join(dir, 'state'))).isDirectory()).toBe(true);
  });
});

describe('Who can do what', () => {
  /** The table's rows under the heading: privilege → the cells after it. */
  function privilegeRows(): Map<string, string[]> {
    const markdown = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = markdown.split('\n## ').find((part) => part.startsWith('Who can do what')) ?? '';
    const rows = new Map<string, string[]>();
    for (const line of section.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim());
      const privilege = cells[1];
      if (privilege !== undefined && (PRIVILEGES as readonly string[]).includes(privilege))
        rows.set(privilege, cells.slice(2));
    }
    return rows;
  }

  it('lists, for each privilege, exactly the commands the registry says need it', () => {
    const rows = privilegeRows();
    expect([...rows.keys()]).toEqual([...PRIVILEGES]);
    for (const privilege of PRIVILEGES) {
      const listed = [...(rows.get(privilege)?.[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      const expected = [
        ...COMMANDS.filter((c) => c.privilege === privilege).map((c) => `/${c.name}`),
        ...COMMANDS.flatMap((c) => (c.escalation?.privilege === privilege ? [c.escalation.form] : [])),
      ];
      expect(listed.sort(), privilege).toEqual(expected.sort());
    }
  });

  it('states the condition of every escalation in its row', () => {
    const rows = privilegeRows();
    for (const command of COMMANDS) {
      const escalation = command.escalation;
      if (escalation?.condition === undefined) continue;
      expect(rows.get(escalation.privilege)?.[0]).toContain(escalation.condition);
    }
  });
});

it('the AI step example is a with table ai.invoke accepts as written, with no pre-flight problem', () => {
  const parsed = parseToml(onlyBlock(CHECKED.aiStep).lines.join('\n')) as {
    stages: { actions: { with: Record<string, TomlValue> } };
  };
  const table = parsed.stages.actions.with;
  expect(checkAiInvoke(table)).toEqual([]);
  expect(aiInvokeParams.parse(table)).toMatchObject({
    execution_mode: 'strict',
    escalate_below: 0.7,
    fallback: ['claude-haiku-4-5'],
    cache: true,
  });
});
