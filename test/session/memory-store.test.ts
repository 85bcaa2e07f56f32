import { MemorySessionStore } from '../../src/session/memory-store.js';
import { sessionStoreContract } from '../contracts/session-store.contract.js';

sessionStoreContract('MemorySessionStore', async ({ historyLimit, library }) => ({
  store: new MemorySessionStore({ historyLimit, library }),
  cleanup: async () => {},
}));
