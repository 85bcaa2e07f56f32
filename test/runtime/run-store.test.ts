import { MemoryRunStore } from '../../src/runtime/run-store-memory.js';
import { runStoreContract } from '../contracts/run-store.contract.js';

runStoreContract('MemoryRunStore', async () => ({ store: new MemoryRunStore(), cleanup: async () => {} }));
