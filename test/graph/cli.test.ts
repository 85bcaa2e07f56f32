import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graphCommand } from '../../src/cli/graph-command.js';
import type { Output } from '../../src/output.js';
import { FileRunStore } from '../../src/runtime/run-store-file.js';
import { decode, SAMPLE_PATH, sample } from './helpers.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/aitws.js');
const PNG_SIGNATURE = '89504e470d0a1a0a';

let dir: string;
let lines: { out: string[]; err: string[] };
const io: Output = { out: (line) => lines.out.push(line), err: (line) => lines.err.push(line) };

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aitws-graph-'));
  lines = { out: [], err: [] };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const graph = (...args: string[]) => graphCommand(args, { AITWS_DATA_DIR: path.join(dir, 'data') }, io);

describe('aitws graph', () => {
  it('writes a PNG and an SVG of the sample, the problems said on stderr', async () => {
    const png = path.join(dir, 'out.png');
    expect(await graph(SAMPLE_PATH, '-o', png)).toBe(0);
    expect((await readFile(png)).subarray(0, 8).toString('hex')).toBe(PNG_SIGNATURE);
    expect(lines.out[0]).toMatch(/^Wrote .*out\.png \(PNG, \d+×\d+\)\.$/);
    expect(lines.err.join('\n')).toContain('ErrorHandling');
    const svg = path.join(dir, 'out.svg');
    expect(await graph(SAMPLE_PATH, '-o', svg)).toBe(0);
    expect(decode(await readFile(svg))).toContain('id="node-Initialization/CreateResources"');
  });

  it('exits 2 on usage errors and unreadable files, 1 on a file that is not TOML', async () => {
    expect(await graph()).toBe(2);
    expect(await graph(SAMPLE_PATH, '-o', path.join(dir, 'out.gif'))).toBe(2);
    expect(await graph(SAMPLE_PATH, SAMPLE_PATH)).toBe(2);
    expect(await graph(path.join(dir, 'nope.toml'), '-o', path.join(dir, 'x.png'))).toBe(2);
    const broken = path.join(dir, 'broken.toml');
    await writeFile(broken, '[[stages]\nname = ');
    expect(await graph(broken, '-o', path.join(dir, 'x.png'))).toBe(1);
    expect(lines.err.join('\n')).toContain('broken.toml');
  });

  it('colours a run from the data directory; an unknown run exits 1', async () => {
    const dataDir = path.join(dir, 'data');
    const store = new FileRunStore({ dataDir });
    const at = '2025-01-01T00:00:00.000Z';
    await store.create({
      id: 'run1',
      channel: { platform: 'console', workspace: 'local', channel: 'c' },
      workflow: { name: 'Sample', version: 1, hash: `sha256:${'ab'.repeat(32)}` },
      document: sample(),
      inputs: {},
      state: 'queued',
      attempt: 0,
      startedBy: { id: 'U1', name: 'Ada' },
      createdAt: at,
      updatedAt: at,
      deadline: '2025-01-01T01:00:00.000Z',
    });
    await store.recordStep('run1', {
      key: 'Initialization/CreateResources#1',
      state: 'succeeded',
      idempotencyKey: 'k',
      startedAt: at,
    });
    await store.close();
    const svg = path.join(dir, 'run.svg');
    expect(await graph('--run', 'run1', '--data-dir', dataDir, '-o', svg)).toBe(0);
    const text = decode(await readFile(svg));
    expect(text).toContain('class="node action state-done"');
    expect(text).toContain('run run1 (queued)');
    expect(await graph('--run', 'nope', '--data-dir', dataDir, '-o', svg)).toBe(1);
  });

  it('runs as bin/aitws.js graph (the build), default workflow.png', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'graph', SAMPLE_PATH], { cwd: dir });
    expect(stdout).toContain('Wrote workflow.png');
    expect((await readFile(path.join(dir, 'workflow.png'))).subarray(0, 8).toString('hex')).toBe(
      PNG_SIGNATURE,
    );
    const failed = await promisify(execFile)(process.execPath, [BIN, 'graph'], { cwd: dir }).catch(
      (error: { code: number }) => error,
    );
    expect(failed).toMatchObject({ code: 2 });
  });
});
