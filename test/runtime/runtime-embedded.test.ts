/** The Runtime contract embedded: the file run store in a temp dir and the in-process queue. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedRunQueue } from '../../src/runtime/queue-embedded.js';
import { FileRunStore } from '../../src/runtime/run-store-file.js';
import { runtimeContract } from '../contracts/runtime.contract.js';

runtimeContract('FileRunStore + EmbeddedRunQueue', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-runtime-'));
  const store = new FileRunStore({ dataDir: dir });
  const queue = new EmbeddedRunQueue({ retryDelayMs: 200 });
  return {
    store,
    queue,
    cleanup: async () => {
      await queue.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
