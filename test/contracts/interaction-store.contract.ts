/** One contract for every InteractionStore: memory (embedded) and Redis (production). */
import { describe, expect, it } from 'vitest';
import type { InteractionStore, PendingAction } from '../../src/session/interaction-port.js';

const channel = { platform: 'slack', workspace: 'T1', channel: 'C1' } as const;

function action(id: string): PendingAction {
  return {
    id,
    channel,
    commands: ['/create name="X" force=true'],
    summary: 'Replace the draft',
    createdBy: 'alice',
    createdAt: '2026-11-21T00:00:00.000Z',
  };
}

const decision = (by: string, choice: 'confirm' | 'cancel' = 'confirm') => ({
  choice,
  by,
  byId: `id-${by}`,
  at: '2026-11-21T00:00:01.000Z',
});

export function interactionStoreContract(name: string, factory: () => Promise<InteractionStore>): void {
  describe(`InteractionStore contract: ${name}`, () => {
    it('decides an action once; later decisions get the first back', async () => {
      const store = await factory();
      const id = `a${Math.random().toString(36).slice(2, 12)}`;
      await store.putAction(action(id), 60);
      const first = await store.decideAction(id, channel, decision('bob'));
      expect(first).toEqual({ status: 'decided', action: action(id) });
      const second = await store.decideAction(id, channel, decision('carol', 'cancel'));
      expect(second).toEqual({ status: 'already', action: action(id), decision: decision('bob') });
    });

    it('decides one of many simultaneous clicks', async () => {
      const store = await factory();
      const id = `a${Math.random().toString(36).slice(2, 12)}`;
      await store.putAction(action(id), 60);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.decideAction(id, channel, decision(`u${i}`))),
      );
      expect(results.filter((r) => r.status === 'decided')).toHaveLength(1);
    });

    it('treats unknown ids and foreign channels as unknown, deciding nothing', async () => {
      const store = await factory();
      const id = `a${Math.random().toString(36).slice(2, 12)}`;
      expect(await store.decideAction(id, channel, decision('bob'))).toEqual({ status: 'unknown' });
      await store.putAction(action(id), 60);
      const foreign = { ...channel, channel: 'C2' };
      expect(await store.decideAction(id, foreign, decision('eve'))).toEqual({ status: 'unknown' });
      expect((await store.decideAction(id, channel, decision('bob'))).status).toBe('decided');
    });

    it('peeks at an action without deciding it, and says who decided once someone has', async () => {
      const store = await factory();
      const id = `a${Math.random().toString(36).slice(2, 12)}`;
      expect(await store.peekAction(id, channel)).toEqual({ status: 'unknown' });
      await store.putAction(action(id), 60);
      expect(await store.peekAction(id, { ...channel, channel: 'C2' })).toEqual({ status: 'unknown' });
      expect(await store.peekAction(id, channel)).toEqual({ status: 'open', action: action(id) });
      expect(await store.peekAction(id, channel)).toEqual({ status: 'open', action: action(id) });
      expect((await store.decideAction(id, channel, decision('bob'))).status).toBe('decided');
      expect(await store.peekAction(id, channel)).toEqual({
        status: 'already',
        action: action(id),
        decision: decision('bob'),
      });
    });

    it('claims an id exactly once per scope', async () => {
      const store = await factory();
      const id = `e${Math.random().toString(36).slice(2, 12)}`;
      const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimOnce('events', id, 60)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimOnce('other-scope', id, 60)).toBe(true);
    });

    it('counts across calls within a window', async () => {
      const store = await factory();
      const id = `c${Math.random().toString(36).slice(2, 12)}`;
      expect(await store.increment('tokens', id, 5, 60)).toBe(5);
      expect(await store.increment('tokens', id, 7, 60)).toBe(12);
      expect(await store.increment('tokens', `${id}-other`, 1, 60)).toBe(1);
    });
  });
}
