import { MemorySessionStore } from '../../src/session/memory-store.js';
import { sessionStoreContract } from '../contracts/session-store.contract.js';

sessionStoreContract('MemorySessionStore', async ({ historyLimit }) => ({
  store: new MemorySessionStore({ historyLimit }),
  cleanup: async () => {},
}));
