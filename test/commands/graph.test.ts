/**
 * /graph through a real dispatcher and through the real console (`bin/aitws.js`, file store,
 * in-process runs): chat gets the picture as an image attachment, the console writes it beside
 * the user's files, and a run's picture is the version it ran with its actions' states. Every PNG
 * is decoded (signature, header, inflated pixels), not just found.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/reply.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import { jsonLines, runCli } from '../support/cli.js';
import { createHarness, type Harness, textOf } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

const WORKFLOW = [
  '/create name="Greeter" version="1.0.0"',
  '/add stages name="Compose" order=1',
  '/add stages.actions stage="Compose" name="Greeting" type="transform" with={ set = { text = "Hello {{ inputs.who }}" } }',
  '/add stages name="Check" order=2',
  '/add stages.actions stage="Check" name="Sign off" type="human.approval" with={ approvers = ["Lead"] }',
];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width, height and whether the decoded pixels hold more than one colour. */
function decodePng(bytes: Uint8Array): { width: number; height: number; varied: boolean } {
  const png = Buffer.from(bytes);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const data: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    if (png.toString('latin1', offset + 4, offset + 8) === 'IDAT')
      data.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const pixels = inflateSync(Buffer.concat(data));
  const bytesPerPixel = png[25] === 6 ? 4 : 3;
  const row = 1 + width * bytesPerPixel;
  expect(pixels.length).toBe(row * height);
  const first = pixels.subarray(1, 1 + bytesPerPixel).toString('hex');
  let varied = false;
  for (let y = 0; y < height && !varied; y += 7)
    for (let x = 0; x < width; x += 5) {
      const at = y * row + 1 + x * bytesPerPixel;
      if (pixels.subarray(at, at + bytesPerPixel).toString('hex') !== first) {
        varied = true;
        break;
      }
    }
  return { width, height, varied };
}

describe('/graph in chat', () => {
  const channel: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'CGRAPH' };
  /** A fresh chat channel (memory stores, no files): what Ada types there. */
  function chat(): (text: string) => Promise<Reply> {
    const dispatcher = createDispatcher({
      sessions: new MemorySessionStore(),
      interactions: new MemoryInteractionStore(),
      accessStore: new MemoryAccessStore(),
      accessPolicy: { admins: new Set(), defaultPrivileges: ['read', 'write'] },
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
    });
    return (text) => dispatcher.handle({ text, actor: { id: 'U1', name: 'Ada' }, channel });
  }
  const say = chat();

  it('posts the draft as a PNG image to the channel, and as SVG with the node ids on request', async () => {
    expect((await say('/graph')).ok).toBe(false);
    for (const line of WORKFLOW) expect((await say(line)).ok, line).toBe(true);
    const reply = await say('/graph');
    expect(reply.ok, textOf(reply)).toBe(true);
    expect(reply.visibility).toBe('channel');
    const [picture] = reply.attachments;
    expect(picture?.filename).toBe('workflow.png');
    expect(picture?.contentType).toBe('image/png');
    const decoded = decodePng(picture?.content as Uint8Array);
    expect(decoded.width).toBeGreaterThan(100);
    expect(decoded.height).toBeGreaterThan(100);
    expect(decoded.varied).toBe(true);
    expect(textOf(reply)).toContain('"Greeter" v5');

    const svg = await say('/graph format=svg');
    const text = new TextDecoder().decode(svg.attachments[0]?.content as Uint8Array);
    expect(svg.attachments[0]?.filename).toBe('workflow.svg');
    expect(text).toContain('id="node-Compose/Greeting"');
    expect(text).toContain('Sign off');
  });

  it('masks a secret in what it draws: a picture cannot be masked once drawn', async () => {
    const tell = chat();
    expect((await tell('/create name="Sync"')).ok).toBe(true);
    expect((await tell('/add stages name="Copy" order=1')).ok).toBe(true);
    const named = await tell(
      '/add stages.actions stage="Copy" name="Pull postgres://etl:hunter2@db.example/prod" type="transform"',
    );
    expect(named.ok, textOf(named)).toBe(true);
    const svg = await tell('/graph format=svg');
    const text = new TextDecoder().decode(svg.attachments[0]?.content as Uint8Array);
    expect(text).toContain('postgres://etl:');
    expect(text).not.toContain('hunter2');
  });

  it('refuses a format it does not draw, and a run where nothing runs, changing nothing', async () => {
    const bad = await say('/graph format=gif');
    expect(bad.ok).toBe(false);
    expect(textOf(bad)).toContain('format=png');
    const twice = await say('/graph r0000000000 run=r0000000001');
    expect(twice.ok).toBe(false);
    expect(textOf(twice)).toContain('Name the run once');
    const run = await say('/graph r0000000000');
    expect(run.ok).toBe(false);
    expect(textOf(run)).toContain('no runtime');
  });
});

describe('/graph in the console', () => {
  let harness: Harness;
  let dir: string;
  beforeEach(async () => {
    harness = await createHarness('graph');
    dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-graph-'));
  });
  afterEach(async () => {
    await harness.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes workflow.png in the current directory and says where', async () => {
    for (const line of WORKFLOW) expect((await harness.run(line)).ok).toBe(true);
    const reply = await harness.run('/graph');
    expect(textOf(reply)).toContain('Wrote workflow.png');
    const png = await readFile(path.join(harness.workDir, 'workflow.png'));
    expect(decodePng(png).varied).toBe(true);
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(path.join(ARTIFACTS, 'graph-draft.png'), png);
  });

  it('draws a run waiting on its approval with each action coloured by its state', async () => {
    const script = [...WORKFLOW, '/add roles name="Lead" privileges=["read", "approve"]', '/run who="Ada"'];
    const first = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      input: `${script.join('\n')}\n`,
    });
    const lines = jsonLines(first.stdout).filter((line) => 'command' in line);
    const run = lines.at(-1) as { ok: boolean; data: { run_id: string } };
    expect(run.ok, first.stdout).toBe(true);
    const id = run.data.run_id;
    const second = await runCli(['console', '--json', '--user', 'ada'], {
      cwd: dir,
      input: `/graph run=${id} format=svg\n/graph ${id}\n`,
    });
    const [svgReply, pngReply] = jsonLines(second.stdout).filter((line) => 'command' in line) as {
      ok: boolean;
      data: { file: string };
    }[];
    expect(svgReply?.ok, second.stdout).toBe(true);
    expect(svgReply?.data.file).toBe(`run-${id}.svg`);
    const svg = await readFile(path.join(dir, `run-${id}.svg`), 'utf8');
    expect(svg).toMatch(/id="node-Compose\/Greeting"[^>]*class="[^"]*state-done/);
    expect(svg).toMatch(/id="node-Check\/Sign_20_off"[^>]*class="[^"]*state-waiting/);
    const png = await readFile(path.join(dir, pngReply?.data.file ?? ''));
    expect(decodePng(png).varied).toBe(true);
    // Kept for people to look at (CI keeps test-artifacts/); not compared to anything.
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(path.join(ARTIFACTS, 'graph-run-waiting.png'), png);
  });
});
