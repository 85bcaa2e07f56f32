/**
 * The AccessStore contract: every implementation (memory, file, Redis) runs this one suite.
 *
 *   accessStoreContract('FileAccessStore', async () => ({ store, cleanup }));
 *
 * The factory builds a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AccessState,
  type AccessStore,
  type AuditEntry,
  type AuditEntryInput,
  EMPTY_ACCESS,
  type Grant,
  type Person,
} from '../../src/session/access-port.js';
import type { ChannelKey } from '../../src/session/port.js';

export interface AccessContractFixture {
  readonly store: AccessStore;
  cleanup(): Promise<void>;
}

export type AccessContractFactory = () => Promise<AccessContractFixture>;

const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };
const ALICE: Person = { id: 'U1', name: 'Alice' };
const WRITERS = 20;

function person(index: number): Person {
  return { id: `U${index}`, name: `User ${index}` };
}

function grant(user: Person, role = 'approver'): Grant {
  return { user, role, by: ALICE, at: '2026-01-01T00:00:00.000Z' };
}

function stateWith(grants: readonly Grant[]): AccessState {
  return { grants, review: null, lastApproved: null };
}

const FULL_STATE: AccessState = {
  grants: [grant(person(2), 'editor')],
  review: {
    id: 'r-1',
    version: 12,
    hash: 'sha256:abc',
    submittedBy: ALICE,
    submittedAt: '2026-01-02T00:00:00.000Z',
    note: 'please',
    required: 2,
    state: 'rejected',
    votes: [
      { voter: person(3), choice: 'approve', at: '2026-01-02T01:00:00.000Z' },
      { voter: person(4), choice: 'reject', at: '2026-01-02T02:00:00.000Z', reason: 'no' },
    ],
    decidedAt: '2026-01-02T02:00:00.000Z',
    decidedBy: [person(4)],
    reason: 'no',
  },
  lastApproved: { version: 10, hash: 'sha256:def', approvedBy: [person(3)], at: '2026-01-01T05:00:00.000Z' },
};

function audit(channel: ChannelKey, minute: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  return { at, channel, actor: ALICE, kind: 'change', command: `/set step=${minute}`, ...extra };
}

/** Stream ids (`ms-seq`) and line numbers alike: compared part by part, as numbers. */
function compareIds(a: string, b: string): number {
  const left = a.split('-').map(BigInt);
  const right = b.split('-').map(BigInt);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0n) - (right[index] ?? 0n);
    if (difference !== 0n) return difference < 0n ? -1 : 1;
  }
  return 0;
}

function withoutId({ id: _id, ...entry }: AuditEntry): AuditEntryInput {
  return entry;
}

async function collect(entries: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for await (const entry of entries) all.push(entry);
  return all;
}

export function accessStoreContract(name: string, factory: AccessContractFactory): void {
  describe(`AccessStore contract: ${name}`, () => {
    let fixture: AccessContractFixture;
    let store: AccessStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.store.close();
      await fixture.cleanup();
    });

    /** Adds `user`'s grant by read-then-CAS until it lands; returns the attempts it took. */
    async function grantUntilStored(user: Person): Promise<number> {
      for (let attempt = 1; ; attempt += 1) {
        const current = await store.read(CHANNEL);
        const grants = [...current.grants, grant(user)];
        if (await store.write(CHANNEL, current.revision, stateWith(grants))) return attempt;
        if (attempt > WRITERS * 5) throw new Error(`${user.id} never landed its grant`);
      }
    }

    it('reads a channel never written as EMPTY_ACCESS', async () => {
      expect(await store.read(CHANNEL)).toEqual(EMPTY_ACCESS);
    });

    it('stores a state by CAS as the next revision, every field intact', async () => {
      expect(await store.write(CHANNEL, 0, FULL_STATE)).toBe(true);
      expect(await store.read(CHANNEL)).toEqual({ revision: 1, ...FULL_STATE });
      const next = stateWith([grant(person(9))]);
      expect(await store.write(CHANNEL, 1, next)).toBe(true);
      expect(await store.read(CHANNEL)).toEqual({ revision: 2, ...next });
    });

    it('stores only the state when handed a whole record', async () => {
      const record = { revision: 41, ...stateWith([grant(person(5))]) };
      expect(await store.write(CHANNEL, 0, record)).toBe(true);
      expect(await store.read(CHANNEL)).toEqual({ ...record, revision: 1 });
    });

    it('refuses a stale or future revision and changes nothing', async () => {
      await store.write(CHANNEL, 0, stateWith([grant(person(1))]));
      await store.write(CHANNEL, 1, stateWith([grant(person(2))]));
      const before = await store.read(CHANNEL);
      expect(await store.write(CHANNEL, 1, stateWith([grant(person(3))]))).toBe(false);
      expect(await store.write(CHANNEL, 0, stateWith([]))).toBe(false);
      expect(await store.write(CHANNEL, 7, stateWith([]))).toBe(false);
      expect(await store.read(CHANNEL)).toEqual(before);
    });

    it('rejects a revision that is not a non-negative integer', async () => {
      for (const bad of [-1, 1.5, Number.NaN]) {
        await expect(store.write(CHANNEL, bad, stateWith([]))).rejects.toThrow(RangeError);
      }
    });

    it(`lets exactly one of ${WRITERS} writers win each round from the same revision`, async () => {
      let waiting = Array.from({ length: WRITERS }, (_, index) => person(index));
      while (waiting.length > 0) {
        const current = await store.read(CHANNEL);
        const results = await Promise.all(
          waiting.map((user) =>
            store.write(CHANNEL, current.revision, stateWith([...current.grants, grant(user)])),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        waiting = waiting.filter((_, index) => !results[index]);
      }
      const final = await store.read(CHANNEL);
      expect(final.revision).toBe(WRITERS);
      expect(final.grants.map((g) => g.user.id).sort()).toEqual(
        Array.from({ length: WRITERS }, (_, index) => `U${index}`).sort(),
      );
    });

    it(`loses none of ${WRITERS} concurrent read-then-CAS retry loops`, async () => {
      const users = Array.from({ length: WRITERS }, (_, index) => person(index));
      const attempts = await Promise.all(users.map(grantUntilStored));
      const final = await store.read(CHANNEL);
      expect(final.revision).toBe(WRITERS);
      expect(new Set(final.grants.map((g) => g.user.id))).toEqual(new Set(users.map((u) => u.id)));
      expect(attempts.every((count) => count >= 1)).toBe(true);
    });

    it('keeps channels apart, whatever their names hold', async () => {
      const channels: ChannelKey[] = [
        { platform: 'console', workspace: 'a:b', channel: 'c' },
        { platform: 'console', workspace: 'a', channel: 'b:c' },
        { platform: 'console', workspace: 'a}', channel: '{c' },
        { platform: 'console', workspace: 'a', channel: '}:{c' },
        { platform: 'discord', workspace: 'a', channel: 'b:c' },
        { platform: 'slack', workspace: 'é', channel: '\u{1F600} canal ü' },
      ];
      for (const [index, channel] of channels.entries()) {
        expect(await store.write(channel, 0, stateWith([grant(person(index))]))).toBe(true);
        await store.appendAudit(audit(channel, index, { detail: `channel ${index}` }));
      }
      for (const [index, channel] of channels.entries()) {
        expect(await store.read(channel)).toEqual({ revision: 1, ...stateWith([grant(person(index))]) });
        const trail = await store.recentAudit(channel, 10);
        expect(trail.map((entry) => entry.detail)).toEqual([`channel ${index}`]);
        expect(trail[0]?.channel).toEqual(channel);
      }
    });

    it('hands out copies: changing what was written or read changes nothing stored', async () => {
      const grants = [grant(person(1))];
      await store.write(CHANNEL, 0, stateWith(grants));
      grants.push(grant(person(2)));
      const read = await store.read(CHANNEL);
      (read.grants as Grant[]).push(grant(person(3)));
      const entry = { ...audit(CHANNEL, 1), actor: { ...ALICE } };
      const appended = await store.appendAudit(entry);
      entry.actor.name = 'Mallory';
      (appended.actor as { name: string }).name = 'Eve';
      expect(await store.read(CHANNEL)).toEqual({ revision: 1, ...stateWith([grant(person(1))]) });
      expect((await store.recentAudit(CHANNEL, 1))[0]?.actor).toEqual(ALICE);
    });

    it('appends entries with increasing ids and gives them back as given', async () => {
      const full = audit(CHANNEL, 0, {
        kind: 'approved',
        versionBefore: 3,
        versionAfter: 4,
        hash: 'sha256:01',
        detail: 'two approvals',
      });
      const appended = [await store.appendAudit(full)];
      for (let minute = 1; minute < 6; minute += 1)
        appended.push(await store.appendAudit(audit(CHANNEL, minute)));
      expect(withoutId(appended[0] as AuditEntry)).toEqual(full);
      expect(withoutId(appended[1] as AuditEntry)).toEqual(audit(CHANNEL, 1));
      for (let index = 1; index < appended.length; index += 1) {
        expect(compareIds(appended[index - 1]?.id ?? '', appended[index]?.id ?? '')).toBe(-1);
      }
      expect(await store.recentAudit(CHANNEL, 1)).toEqual([appended[5]]);
    });

    it('lists recent entries newest first, at most the limit', async () => {
      expect(await store.recentAudit(CHANNEL, 5)).toEqual([]);
      const appended: AuditEntry[] = [];
      for (let minute = 0; minute < 5; minute += 1)
        appended.push(await store.appendAudit(audit(CHANNEL, minute)));
      expect(await store.recentAudit(CHANNEL, 3)).toEqual(appended.slice(2).reverse());
      expect(await store.recentAudit(CHANNEL, 50)).toEqual([...appended].reverse());
      expect(await store.recentAudit(CHANNEL, 0)).toEqual([]);
    });

    it('never shows one channel the audit of another', async () => {
      const other: ChannelKey = { ...CHANNEL, channel: 'C2' };
      await store.appendAudit(audit(CHANNEL, 1));
      await store.appendAudit(audit(other, 2));
      await store.appendAudit(audit(CHANNEL, 3));
      const mine = await store.recentAudit(CHANNEL, 10);
      expect(mine.map((entry) => entry.at)).toEqual([audit(CHANNEL, 3).at, audit(CHANNEL, 1).at]);
      const theirs = await store.recentAudit(other, 10);
      expect(theirs.map(withoutId)).toEqual([audit(other, 2)]);
      const exported = await collect(store.exportAudit({ channel: 'C2' }));
      expect(exported.map(withoutId)).toEqual([audit(other, 2)]);
    });

    describe('exportAudit', () => {
      const channels = {
        a: { platform: 'slack', workspace: 'T1', channel: 'C1' },
        b: { platform: 'slack', workspace: 'T1', channel: 'C2' },
        c: { platform: 'slack', workspace: 'T2', channel: 'C1' },
        d: { platform: 'discord', workspace: 'T1', channel: 'C1' },
      } satisfies Record<string, ChannelKey>;

      /** Interleaved across channels, three each, minutes increasing. */
      async function seed(): Promise<AuditEntryInput[]> {
        const inputs: AuditEntryInput[] = [];
        for (let round = 0; round < 3; round += 1) {
          for (const [index, channel] of Object.values(channels).entries()) {
            const entry = audit(channel, round * 10 + index);
            inputs.push(entry);
            await store.appendAudit(entry);
          }
        }
        return inputs;
      }

      /** Grouped by channel, then oldest first within each: what the port promises and no more. */
      function byChannel(entries: readonly AuditEntryInput[]): Map<string, string[]> {
        const grouped = new Map<string, string[]>();
        for (const entry of entries) {
          const key = JSON.stringify(entry.channel);
          grouped.set(key, [...(grouped.get(key) ?? []), entry.at]);
        }
        return new Map([...grouped.entries()].sort(([x], [y]) => (x < y ? -1 : 1)));
      }

      async function expectExport(
        filter: Parameters<AccessStore['exportAudit']>[0],
        want: AuditEntryInput[],
      ) {
        const exported = await collect(store.exportAudit(filter));
        expect(exported.map(withoutId).sort((x, y) => (x.at < y.at ? -1 : 1))).toEqual(want);
        expect(byChannel(exported)).toEqual(byChannel(want));
      }

      it('exports nothing from an empty store', async () => {
        expect(await collect(store.exportAudit({}))).toEqual([]);
      });

      it('exports everything, oldest first within each channel', async () => {
        const inputs = await seed();
        await expectExport({}, inputs);
      });

      it('filters by platform, workspace, channel and since, alone and together', async () => {
        const inputs = await seed();
        const where = (test: (entry: AuditEntryInput) => boolean) => inputs.filter(test);
        await expectExport(
          { platform: 'discord' },
          where((e) => e.channel.platform === 'discord'),
        );
        await expectExport(
          { workspace: 'T2' },
          where((e) => e.channel.workspace === 'T2'),
        );
        await expectExport(
          { channel: 'C1' },
          where((e) => e.channel.channel === 'C1'),
        );
        await expectExport(
          { platform: 'slack', workspace: 'T1', channel: 'C1' },
          where((e) => JSON.stringify(e.channel) === JSON.stringify(channels.a)),
        );
        const since = new Date(audit(CHANNEL, 11).at);
        await expectExport(
          { since },
          where((e) => e.at >= since.toISOString()),
        );
        await expectExport(
          { platform: 'slack', since },
          where((e) => e.at >= since.toISOString() && e.channel.platform === 'slack'),
        );
        await expectExport({ platform: 'console' }, []);
        await expectExport({ since: new Date(Date.UTC(2027, 0, 1)) }, []);
      });

      it('gives every exported entry the id the trail gave it', async () => {
        await seed();
        const exported = await collect(store.exportAudit({ workspace: 'T2' }));
        const recent = await store.recentAudit(channels.c, 10);
        expect(exported).toEqual([...recent].reverse());
      });
    });
  });
}
