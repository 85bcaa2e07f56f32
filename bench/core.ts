/**
 * Issue 2 benchmarks: document handling against bare smol-toml, and `/add` throughput through the
 * console pipeline (dispatcher + file store) against a bare atomic file replace of the same bytes.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'smol-toml';
import { DEFAULT_ACCESS_POLICY } from '../src/access/privileges.js';
import { createDispatcher } from '../src/commands/dispatch.js';
import { parseDocument, stringifyDocument, validateDocument } from '../src/document/index.js';
import { DEFAULT_LIMITS } from '../src/document/types.js';
import { silentLogger } from '../src/logging.js';
import { FileAccessStore } from '../src/session/access-file.js';
import { FileSessionStore } from '../src/session/file-store.js';
import { MemoryInteractionStore } from '../src/session/memory-interactions.js';
import { fmt, median, microsPerOp, verdict } from './lib.js';

// Run from dist/bench/ once compiled, from bench/ under tsx: either way the fixture is in the repository.
const SAMPLE = path.resolve(
  import.meta.dirname,
  import.meta.dirname.endsWith(path.join('dist', 'bench')) ? '../..' : '..',
  'test/fixtures/ai.toml',
);

export async function benchDocument(): Promise<void> {
  const text = readFileSync(SAMPLE, 'utf8');
  const bareOp = () => stringify(parse(text));
  const oursOp = () => {
    const document = parseDocument(text, DEFAULT_LIMITS);
    validateDocument(document, { mode: 'draft' });
    return stringifyDocument(document);
  };
  // Each round times both sides back to back; the verdict is the median of the rounds' ratios,
  // which the machine's drift between rounds does not move.
  const round = { iterations: 300, rounds: 1, warmup: 0 };
  await microsPerOp(bareOp, { iterations: 300, rounds: 1 });
  await microsPerOp(oursOp, { iterations: 300, rounds: 1 });
  const bare: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < 11; i++) {
    bare.push(await microsPerOp(bareOp, round));
    ours.push(await microsPerOp(oursOp, round));
  }
  const ratio = median(ours.map((value, i) => value / (bare[i] ?? value)));
  console.log('document: load + validate + save of the original sample (median µs/op)');
  console.log(`  bare smol-toml parse+stringify  ${fmt(median(bare))} µs`);
  console.log(`  aitws load+validate+save        ${fmt(median(ours))} µs`);
  console.log(`  ratio                           ${fmt(ratio, 2)}x  (${verdict(ratio, 3)})`);
}

async function atomicReplace(file: string, content: string): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  await handle.writeFile(content);
  await handle.sync();
  await handle.close();
  await rename(temporary, file);
}

export async function benchConsoleAdd(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-bench-'));
  try {
    const store = new FileSessionStore({ dataDir: path.join(dir, 'data'), historyLimit: 50 });
    const dispatcher = createDispatcher({
      sessions: store,
      interactions: new MemoryInteractionStore(),
      accessStore: new FileAccessStore({ dataDir: path.join(dir, 'data') }),
      accessPolicy: DEFAULT_ACCESS_POLICY,
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
    });
    const channel = { platform: 'console', workspace: 'local', channel: 'bench' } as const;
    const actor = { id: 'bench', name: 'bench' };
    const text = readFileSync(SAMPLE, 'utf8');
    // Start from the original sample, the document a team would typically be editing.
    await store.write(channel, 0, {
      document: parse(text),
      at: new Date().toISOString(),
      by: 'bench',
      change: 'load',
    });
    let counter = 0;
    const add = async () => {
      counter += 1;
      const reply = await dispatcher.handle({
        text: `/add tasks name="T${counter % 200}" priority="high" description="bench ${counter}"`,
        actor,
        channel,
      });
      if (!reply.ok) throw new Error(`bench /add failed: ${JSON.stringify(reply.blocks)}`);
    };
    const options = { iterations: 100, rounds: 7, warmup: 200 };
    const ours = await microsPerOp(add, options);
    // The floor: one durable atomic replace of the channel's current document, the least a
    // durable edit can cost.
    const current = await store.read(channel);
    const record = JSON.stringify(current.document);
    const floorFile = path.join(dir, 'floor.json');
    const floor = await microsPerOp(() => atomicReplace(floorFile, record), options);
    console.log('console pipeline: /add with the file store (median)');
    console.log(`  /add per second                 ${fmt(1e6 / ours, 0)} (${fmt(ours)} µs each)`);
    console.log(`  floor: fsync'd atomic replace   ${fmt(1e6 / floor, 0)} /s (${fmt(floor)} µs each)`);
    console.log(`  ratio to floor                  ${fmt(ours / floor, 2)}x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
