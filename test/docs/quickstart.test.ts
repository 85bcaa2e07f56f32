/**
 * docs/quickstart-10-minutes.md is replayed here, block by block and in order, in one fresh working
 * dir that stands for the reader's clone, against the real `bin/aitws.js` and a real registry
 * (Debian's docker-registry on a free loopback port, written `127.0.0.1:5000` in the page).
 *
 * - `console` blocks are shell sessions: each `$ ` line runs and prints (stdout, then stderr) the
 *   lines shown under it; it exits 0, or the N of a trailing `# exits N`. Only the forms a reader
 *   types there are understood (`npx aitws …`, `export NAME=VALUE …`, `echo '…' > FILE`); any
 *   other line fails the test, so the page cannot show a command nothing ran.
 * - `text` blocks of `aitws:CHANNEL (USER)> ` lines are console chats: each person's consecutive
 *   lines go through one `aitws console --channel CHANNEL --user USER` (what `npm start -- …`
 *   opens), with the variables the page exported, and each command prints the lines shown under it.
 * - In shown lines `…` is any text, and a line of only `…` any number of lines.
 *
 * Then the page's claims in prose are checked on what the replay left: the digest `/package`
 * printed is the one verify and run checked and the registry serves, the approver travels in the
 * manifest and the provenance, the layer is the saved file, the content hash is the reviewed one,
 * packaging the approval again gives the same digest, and the unreviewed artifact differs only in
 * having no approval.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest, ImageManifest } from '../../src/oci/types.js';
import { runCli } from '../support/cli.js';
import { REPO_ROOT } from '../support/paths.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import {
  type Block,
  byConsole,
  type ChatStep,
  chatSteps,
  fencedBlocks,
  isChatBlock,
  isShellBlock,
  matchesLines,
  outputLines,
  shellSteps,
} from './replay.js';

const PAGE = 'docs/quickstart-10-minutes.md';
const BLOCKS = fencedBlocks(readFileSync(path.join(REPO_ROOT, PAGE), 'utf8'));
/** The registry the page pushes to; the test's own stands in for it. */
const PAGE_REGISTRY = '127.0.0.1:5000';
const DIGEST = /sha256:[0-9a-f]{64}/;

let registry: TestRegistry;
let dir: string;
/** What the page exported, for every later command and console. */
const exported: Record<string, string> = {};
/** What each command printed, by the command as the page shows it. */
const printed = new Map<string, string[]>();
/** An unknown command changes nothing, so one sent before each command marks where its reply begins. */
const MARK = '/quickstart-next-command';
let markReply: string;

beforeAll(async () => {
  registry = await startRegistry();
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-quickstart-'));
  const home = await mkdtemp(path.join(os.tmpdir(), 'aitws-quickstart-mark-'));
  try {
    markReply = (await runCli(['console'], { cwd: home, input: `${MARK}\n`, env: { HOME: home } })).stdout;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  expect(markReply).toMatch(/^✖ /);
});

afterAll(async () => {
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The page's registry replaced by the test's. */
const local = (text: string): string => text.replaceAll(PAGE_REGISTRY, registry.host);

/** HOME is the working dir: no registry credentials or settings of the machine's user leak in. */
const environment = (): Record<string, string> => ({ HOME: dir, ...exported });

/** Soft: a step that prints something else is reported, and the steps after it still run. */
function expectShown(expected: readonly string[], lines: readonly string[], what: string): void {
  const shown = expected.map(local);
  // On a mismatch, the diff of the two texts says where.
  if (!matchesLines(shown, lines)) expect.soft(lines.join('\n'), what).toBe(shown.join('\n'));
}

async function shell(command: string): Promise<{ code: number | null; lines: string[] }> {
  const words = command.split(/\s+/);
  if (command.startsWith('npx aitws ')) {
    const result = await runCli(words.slice(2).map(local), { cwd: dir, env: environment() });
    return { code: result.code, lines: [...outputLines(result.stdout), ...outputLines(result.stderr)] };
  }
  if (words[0] === 'export') {
    for (const pair of words.slice(1)) {
      const [name = '', value] = pair.split('=', 2);
      if (!/^[A-Z_][A-Z0-9_]*$/.test(name) || value === undefined) throw new Error(`cannot export ${pair}`);
      exported[name] = local(value);
    }
    return { code: 0, lines: [] };
  }
  const echo = /^echo '([^']*)' > ([\w.-]+)$/.exec(command);
  if (echo !== null) {
    await writeFile(path.join(dir, echo[2] ?? ''), `${echo[1] ?? ''}\n`);
    return { code: 0, lines: [] };
  }
  throw new Error(`the test does not know how to run \`${command}\`: teach it, or show another command`);
}

/** One console per person in turn, on the working dir's .aitws/ as `npm start` would. */
async function chat(steps: readonly ChatStep[]): Promise<string[][]> {
  const replies: string[][] = [];
  for (const run of byConsole(steps)) {
    const first = run[0];
    if (first === undefined) continue;
    const input = run.map((step) => `${MARK}\n${local(step.command)}\n`).join('');
    // The marker always fails, so the console runs with its old exit status.
    const args = ['console', '--exit-zero', '--channel', first.channel, '--user', first.user];
    const result = await runCli(args, { cwd: dir, input, env: environment() });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const [beforeFirst, ...each] = result.stdout.split(markReply);
    expect(beforeFirst).toBe('');
    replies.push(...each.map(outputLines));
  }
  return replies;
}

async function replay(block: Block): Promise<void> {
  if (isShellBlock(block)) {
    for (const step of shellSteps(block)) {
      const { code, lines } = await shell(step.command);
      printed.set(step.command, lines);
      expectShown(step.expected, lines, `$ ${step.command}`);
      expect.soft(code, `exit status of ${step.command}`).toBe(step.exitCode);
    }
    return;
  }
  const steps = chatSteps(block);
  const replies = await chat(steps);
  expect(replies).toHaveLength(steps.length);
  steps.forEach((step, i) => {
    const lines = replies[i] ?? [];
    printed.set(step.command, lines);
    expectShown(step.expected, lines, `(${step.user})> ${step.command}`);
  });
}

function output(command: string): string[] {
  const lines = printed.get(command);
  if (lines === undefined) throw new Error(`the page no longer runs \`${command}\``);
  return lines;
}

/** The digest on the printed line that starts with `start`. */
function digestAfter(command: string, start: string): Digest {
  const line = output(command).find((candidate) => candidate.startsWith(start));
  const digest = line === undefined ? undefined : DIGEST.exec(line.slice(start.length))?.[0];
  if (digest === undefined) throw new Error(`no "${start}…" line with a digest after ${command}`);
  return digest as Digest;
}

const sha256 = (bytes: Uint8Array): Digest => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function registryGet(pathname: string, accept?: string): Promise<Uint8Array> {
  const response = await fetch(`http://${registry.host}/v2/team/quickstart/${pathname}`, {
    headers: accept === undefined ? {} : { accept },
  });
  expect(response.status, pathname).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

async function manifestOf(reference: string): Promise<{ digest: Digest; manifest: ImageManifest }> {
  const bytes = await registryGet(`manifests/${reference}`, 'application/vnd.oci.image.manifest.v1+json');
  return { digest: sha256(bytes), manifest: JSON.parse(new TextDecoder().decode(bytes)) as ImageManifest };
}

it('shows only shell sessions and console chats, and every block has something to run', () => {
  const other = BLOCKS.filter((block) => !isShellBlock(block) && !isChatBlock(block));
  expect(other.map((block) => `${block.heading}: ${block.lines[0]}`)).toEqual([]);
  expect(BLOCKS.filter(isChatBlock).length).toBeGreaterThanOrEqual(3);
  expect(BLOCKS.filter(isShellBlock).length).toBeGreaterThanOrEqual(4);
});

it('`npm start -- …` is `aitws console …`, and `npx aitws` is bin/aitws.js', async () => {
  const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
    bin: Record<string, string>;
  };
  expect(manifest.scripts.start).toBe('node bin/aitws.js console');
  expect(manifest.bin.aitws).toBe('bin/aitws.js');
  const prose = readFileSync(path.join(REPO_ROOT, PAGE), 'utf8');
  expect(prose).toContain('`npm start -- --channel quickstart --user alice`');
  expect(prose).toContain('`npm start -- --channel quickstart --user bob`');
});

describe('the 10-minute flow, replayed', () => {
  for (const [i, block] of BLOCKS.entries())
    it(`block ${i + 1} (${block.heading}): ${block.lines[0]}`, async () => {
      await replay(block);
    });

  const PACKAGE = '/package 127.0.0.1:5000/team/quickstart:1.0';
  const VERIFY = 'npx aitws verify 127.0.0.1:5000/team/quickstart:1.0 --key team.pub --policy policy.json';
  const RUN =
    'npx aitws run 127.0.0.1:5000/team/quickstart:1.0 --key team.pub --policy policy.json --input who=Ada --wait';
  const UNREVIEWED =
    'npx aitws package quickstart.toml --ref 127.0.0.1:5000/team/quickstart:1.0-unreviewed --key team.key';
  const VERIFY_UNREVIEWED =
    'npx aitws verify 127.0.0.1:5000/team/quickstart:1.0-unreviewed --key team.pub --policy policy.json';

  it('the private key is readable only by its owner', async () => {
    expect((await stat(path.join(dir, 'team.key'))).mode & 0o777).toBe(0o600);
  });

  it('the digest /package printed is the one verify and run checked, and the registry serves under 1.0', async () => {
    const packaged = digestAfter(PACKAGE, 'Quickstart greeter v6 packaged as ');
    expect(digestAfter(PACKAGE, '  • artifact: ')).toBe(packaged);
    expect(digestAfter(VERIFY, '✔ manifest digest ')).toBe(packaged);
    expect(digestAfter(VERIFY, '✔ provenance subject ')).toBe(packaged);
    expect(digestAfter(VERIFY, 'Verified ')).toBe(packaged);
    expect(digestAfter(RUN, 'Verified ')).toBe(packaged);
    expect(digestAfter(RUN, 'Run ')).toBe(packaged);
    expect((await manifestOf('1.0')).digest).toBe(packaged);
  });

  it('bob, the approver, travels in the manifest and in the signed provenance with the review', async () => {
    const { manifest } = await manifestOf('1.0');
    expect(manifest.annotations).toMatchObject({
      'dev.aitws.approved-by': 'bob',
      'dev.aitws.approved-version': '6',
      'dev.aitws.workflow.name': 'Quickstart greeter',
    });
    const provenance = digestAfter(PACKAGE, '  • provenance: ');
    const [envelopeLayer] = (await manifestOf(provenance)).manifest.layers;
    if (envelopeLayer === undefined) throw new Error('the provenance has no layer');
    const envelope = JSON.parse(
      new TextDecoder().decode(await registryGet(`blobs/${envelopeLayer.digest}`)),
    ) as {
      payload: string;
    };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      predicate: { buildDefinition: { internalParameters: Record<string, unknown> } };
    };
    expect(statement.predicate.buildDefinition.internalParameters).toMatchObject({
      approval: { approvers: [{ name: 'bob' }], required: 1 },
      audit: [
        { kind: 'submit', actor: { name: 'alice' }, command: '/submit first version' },
        { kind: 'approve', actor: { name: 'bob' } },
        { kind: 'approved', actor: { name: 'bob' } },
      ],
    });
  });

  it('the workflow layer is byte for byte the saved quickstart.toml, the content hash the reviewed one', async () => {
    const saved = new Uint8Array(await readFile(path.join(dir, 'quickstart.toml')));
    const { manifest } = await manifestOf('1.0');
    expect(manifest.layers.map((layer) => layer.digest)).toEqual([sha256(saved)]);
    expect(digestAfter(VERIFY, '✔ layer workflow.toml ')).toBe(sha256(saved));
    const contentHash = digestAfter(VERIFY, '✔ content hash ');
    expect(manifest.annotations?.['dev.aitws.content-hash']).toBe(contentHash);
    // The review names it by its first 12 hex digits.
    const reviewed = output('/submit first version').find((line) => line.startsWith('Waiting for review'));
    expect(reviewed).toContain(`${contentHash.slice(0, 'sha256:'.length + 12)}…`);
  });

  it('the run ran in this process, on the working dir’s .aitws/', async () => {
    expect((await stat(path.join(dir, '.aitws/runs'))).isDirectory()).toBe(true);
  });

  it('packaging the same approval again gives the same digest', async () => {
    const [again] = await chat([
      {
        channel: 'quickstart',
        user: 'alice',
        command: '/package 127.0.0.1:5000/team/quickstart:again',
        expected: [],
      },
    ]);
    expect(DIGEST.exec(again?.[0] ?? '')?.[0]).toBe(
      digestAfter(PACKAGE, 'Quickstart greeter v6 packaged as '),
    );
  });

  it('the unreviewed artifact has the same content, its own digest and no approver', async () => {
    const unreviewed = digestAfter(UNREVIEWED, 'digest ');
    expect(digestAfter(UNREVIEWED, 'pushed artifact ')).toBe(unreviewed);
    expect(digestAfter(VERIFY_UNREVIEWED, '✔ manifest digest ')).toBe(unreviewed);
    expect(unreviewed).not.toBe(digestAfter(PACKAGE, 'Quickstart greeter v6 packaged as '));
    expect(digestAfter(VERIFY_UNREVIEWED, '✔ content hash ')).toBe(digestAfter(VERIFY, '✔ content hash '));
    const { digest, manifest } = await manifestOf('1.0-unreviewed');
    expect(digest).toBe(unreviewed);
    expect(manifest.annotations?.['dev.aitws.approved-by']).toBeUndefined();
  });
});
