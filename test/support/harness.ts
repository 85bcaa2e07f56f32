/** A real core (dispatcher + file store + confined files) in temp dirs, for command-level tests. */
import type { Dirent } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createConfinedFiles } from '../../src/adapters/console/files.js';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/reply.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import type { ChannelKey } from '../../src/session/port.js';

export interface Harness {
  readonly dispatcher: Dispatcher;
  readonly store: FileSessionStore;
  readonly dataDir: string;
  readonly workDir: string;
  readonly channel: ChannelKey;
  run(text: string, user?: string): Promise<Reply>;
  /** Every byte the store holds on disk, for "nothing changed" assertions. */
  snapshot(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

export async function createHarness(channel = 'test'): Promise<Harness> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'aitws-test-'));
  const dataDir = path.join(base, 'data');
  const workDir = path.join(base, 'work');
  await mkdir(workDir, { recursive: true });
  const store = new FileSessionStore({ dataDir, historyLimit: 50 });
  const dispatcher = createDispatcher({
    sessions: store,
    interactions: new MemoryInteractionStore(),
    files: createConfinedFiles(workDir, DEFAULT_LIMITS.documentBytes),
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  });
  const key: ChannelKey = { platform: 'console', workspace: 'local', channel };
  return {
    dispatcher,
    store,
    dataDir,
    workDir,
    channel: key,
    run: (text, user = 'alice') => dispatcher.handle({ text, actor: { id: user, name: user }, channel: key }),
    async snapshot() {
      const files: Record<string, string> = {};
      const walk = async (dir: string): Promise<void> => {
        let entries: Dirent[];
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch {
          return;
        }
        for (const entry of entries) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) await walk(full);
          else files[path.relative(dataDir, full)] = await readFile(full, 'utf8');
        }
      };
      await walk(dataDir);
      return files;
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}

export function textOf(reply: Reply): string {
  return reply.blocks
    .map((b) =>
      b.kind === 'text' ? b.text : b.kind === 'code' ? b.code : b.kind === 'list' ? b.items.join('\n') : '',
    )
    .join('\n');
}
