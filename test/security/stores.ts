/**
 * The security tests run on both stores: the file store and Redis. `useStores()` registers the
 * hooks; `harnessOn(kind)` gives a harness on that store, Redis on one server per test file
 * (REDIS_URL when set, else one started on first use on a free loopback port) with a fresh key
 * prefix per harness.
 */
import { afterAll } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { sharedRedis } from '../support/redis.js';

export const STORE_KINDS = ['file', 'redis'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface Stores {
  harnessOn(kind: StoreKind, channel?: string): Promise<Harness>;
}

export function useStores(): Stores {
  let server: ReturnType<typeof sharedRedis> | undefined;
  afterAll(async () => {
    const started = server;
    server = undefined;
    await (await started)?.stop();
  });
  return {
    async harnessOn(kind, channel = 'test') {
      if (kind === 'file') return createHarness(channel);
      server ??= sharedRedis();
      return createHarness(channel, { kind: 'redis', url: (await server).url });
    },
  };
}
