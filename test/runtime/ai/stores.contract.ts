/**
 * The contracts of the AI stores (src/runtime/ai/stores.ts): every implementation (memory, file
 * and Redis) runs the suite of its port. Each factory builds a fresh, empty store.
 *
 *   aiResponseCacheContract('memory', async () => ({ cache, advance, cleanup }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import type { WorkspaceBudget } from '../../../src/runtime/ai/budget.js';
import type {
  AiResponseCache,
  DriftSample,
  DriftStore,
  WorkflowScope,
} from '../../../src/runtime/ai/stores.js';
import type { JsonObject } from '../../../src/runtime/run-store.js';

interface Fixture {
  cleanup(): Promise<void>;
}

export interface CacheFixture extends Fixture {
  readonly cache: AiResponseCache;
  /** Lets `ms` pass for the cache: a test clock moved, or real time waited. */
  advance(ms: number): Promise<void>;
}

export interface BudgetFixture extends Fixture {
  readonly budget: WorkspaceBudget;
}

export interface BudgetSetup {
  readonly limit: number | ((workspace: string) => number);
  /** The clock the budget reads its month from (ignored by a budget without months). */
  readonly now: () => number;
}

export interface DriftFixture extends Fixture {
  readonly store: DriftStore;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error.code;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

/** Runs `body` against a fresh fixture and cleans it up, whatever happens. */
async function using<F extends Fixture>(make: () => Promise<F>, body: (fixture: F) => Promise<void>) {
  const fixture = await make();
  try {
    await body(fixture);
  } finally {
    await fixture.cleanup();
  }
}

const VALUE: JsonObject = {
  text: 'Grüße, 世界 🌍 "quoted" \\ back\nslash',
  number: -12.5e-3,
  integer: 9_007_199_254_740_991,
  flags: [true, false, null],
  nested: { list: [{ a: 1 }, [], {}], empty: '' },
};

export function aiResponseCacheContract(name: string, factory: () => Promise<CacheFixture>): void {
  describe(`AiResponseCache contract: ${name}`, () => {
    let fixture: CacheFixture;
    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => fixture.cleanup());

    it('misses what was never stored', async () => {
      expect(await fixture.cache.get('sha256:none')).toBeUndefined();
    });

    it('hits with the value round-tripped, as a copy, and the latest set wins', async () => {
      const { cache } = fixture;
      await cache.set('sha256:abc', VALUE, 60);
      const got = await cache.get('sha256:abc');
      expect(got).toEqual(VALUE);
      if (got !== undefined) got.text = 'changed';
      expect(await cache.get('sha256:abc')).toEqual(VALUE);
      await cache.set('sha256:abc', { second: true }, 60);
      expect(await cache.get('sha256:abc')).toEqual({ second: true });
    });

    it('keeps any fingerprint text apart from any other', async () => {
      const { cache } = fixture;
      const fingerprints = ['x', 'x ', '../../etc/passwd', '{tag}:a:b', 'é'.repeat(3000), ''];
      for (const [index, fingerprint] of fingerprints.entries()) await cache.set(fingerprint, { index }, 60);
      for (const [index, fingerprint] of fingerprints.entries())
        expect(await cache.get(fingerprint)).toEqual({ index });
    });

    it('forgets an entry once its TTL has passed', async () => {
      const { cache } = fixture;
      await cache.set('sha256:ttl', { v: 1 }, 1);
      await cache.set('sha256:long', { v: 2 }, 3600);
      await fixture.advance(400);
      expect(await cache.get('sha256:ttl')).toEqual({ v: 1 });
      await fixture.advance(800);
      expect(await cache.get('sha256:ttl')).toBeUndefined();
      expect(await cache.get('sha256:long')).toEqual({ v: 2 });
      await cache.set('sha256:ttl', { v: 3 }, 1);
      expect(await cache.get('sha256:ttl')).toEqual({ v: 3 });
    });

    it('refuses a TTL that is not a positive number of seconds', async () => {
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
        expect(await codeOf(fixture.cache.set('sha256:bad', {}, ttl))).toBe('VALIDATION');
      expect(await fixture.cache.get('sha256:bad')).toBeUndefined();
    });
  });
}

const JAN = Date.UTC(2025, 0, 31, 23, 59, 59);
const FEB = Date.UTC(2025, 1, 1, 0, 0, 1);

export interface BudgetContractSettings {
  /** The store keeps a period per UTC month (read from the clock it was given). */
  readonly months: boolean;
}

export function workspaceBudgetContract(
  name: string,
  factory: (setup: BudgetSetup) => Promise<BudgetFixture>,
  settings: BudgetContractSettings,
): void {
  describe(`WorkspaceBudget contract: ${name}`, () => {
    it('starts at the limit, goes down by each charge and counts a key once', async () => {
      await using(
        () => factory({ limit: 10, now: () => JAN }),
        async ({ budget }) => {
          expect(await budget.remaining('T1')).toBe(10);
          await budget.charge('T1', 1.25, 'run-1/a');
          expect(await budget.remaining('T1')).toBeCloseTo(8.75, 9);
          await budget.charge('T1', 1.25, 'run-1/a');
          await budget.charge('T1', 0.5, 'run-1/b');
          await budget.charge('T1', 0, 'run-1/c');
          expect(await budget.remaining('T1')).toBeCloseTo(8.25, 9);
        },
      );
    });

    it('keeps workspaces apart, each with its own limit, whatever their names', async () => {
      const limits: Record<string, number> = { T1: 5, '../T:{2}': 7, 'ワーク スペース': 3 };
      await using(
        () => factory({ limit: (workspace) => limits[workspace] ?? 1, now: () => JAN }),
        async ({ budget }) => {
          for (const workspace of Object.keys(limits)) await budget.charge(workspace, 1, 'same-key');
          expect(await budget.remaining('T1')).toBeCloseTo(4, 9);
          expect(await budget.remaining('../T:{2}')).toBeCloseTo(6, 9);
          expect(await budget.remaining('ワーク スペース')).toBeCloseTo(2, 9);
          expect(await budget.remaining('other')).toBe(1);
        },
      );
    });

    it('never reports less than 0 left', async () => {
      await using(
        () => factory({ limit: 1, now: () => JAN }),
        async ({ budget }) => {
          await budget.charge('T1', 0.75, 'a');
          await budget.charge('T1', 0.75, 'b');
          expect(await budget.remaining('T1')).toBe(0);
        },
      );
    });

    it('adds up concurrent charges exactly, duplicates counted once', async () => {
      await using(
        () => factory({ limit: 5, now: () => JAN }),
        async ({ budget }) => {
          const keys = Array.from({ length: 100 }, (_, index) => `run-${index}/step`);
          await Promise.all([...keys, ...keys.slice(0, 30)].map((key) => budget.charge('T1', 0.01, key)));
          expect(await budget.remaining('T1')).toBeCloseTo(4, 9);
        },
      );
    });

    it('refuses an amount that is negative or not a number, and records nothing', async () => {
      await using(
        () => factory({ limit: 5, now: () => JAN }),
        async ({ budget }) => {
          for (const amount of [-0.01, Number.NaN, Number.POSITIVE_INFINITY])
            expect(await codeOf(budget.charge('T1', amount, `bad-${amount}`))).toBe('VALIDATION');
          expect(await budget.remaining('T1')).toBe(5);
        },
      );
    });

    it.runIf(settings.months)('starts every UTC month afresh', async () => {
      let now = JAN;
      await using(
        () => factory({ limit: 2, now: () => now }),
        async ({ budget }) => {
          await budget.charge('T1', 1.5, 'run-1');
          expect(await budget.remaining('T1')).toBeCloseTo(0.5, 9);
          now = FEB;
          expect(await budget.remaining('T1')).toBe(2);
          await budget.charge('T1', 0.25, 'run-2');
          expect(await budget.remaining('T1')).toBeCloseTo(1.75, 9);
          now = JAN;
          expect(await budget.remaining('T1')).toBeCloseTo(0.5, 9);
        },
      );
    });
  });
}

const SCOPE: WorkflowScope = { channel: 'slack:T1:C1', workflow: 'triage' };

function sample(overrides: Partial<DriftSample> = {}): DriftSample {
  return {
    action: 'classify',
    at: '2025-01-01T00:00:00.000Z',
    validationFailed: false,
    repairs: 0,
    latencyMs: 100,
    costUsd: 0.01,
    ...overrides,
  };
}

export function driftStoreContract(name: string, factory: (window?: number) => Promise<DriftFixture>): void {
  describe(`DriftStore contract: ${name}`, () => {
    it('summarises nothing as zeros without a confidence', async () => {
      await using(factory, async ({ store }) => {
        const empty = await store.summary(SCOPE, 'classify');
        expect(empty).toEqual({
          samples: 0,
          validation_failure_rate: 0,
          repairs: 0,
          latency_ms: 0,
          cost_usd: 0,
        });
        expect('confidence' in empty).toBe(false);
      });
    });

    it('computes rates and means, confidence over the samples that had one', async () => {
      await using(factory, async ({ store }) => {
        await store.record(
          SCOPE,
          sample({ validationFailed: true, repairs: 2, latencyMs: 300, costUsd: 0.03 }),
        );
        expect('confidence' in (await store.summary(SCOPE, 'classify'))).toBe(false);
        await store.record(SCOPE, sample({ confidence: 0.9, latencyMs: 100, costUsd: 0.01 }));
        await store.record(SCOPE, sample({ repairs: 1, latencyMs: 200, costUsd: 0.02 }));
        const returned = await store.record(SCOPE, sample({ validationFailed: true, confidence: 0.5 }));
        const expected = {
          samples: 4,
          validation_failure_rate: 0.5,
          repairs: 0.75,
          confidence: 0.7,
          latency_ms: 175,
          cost_usd: 0.0175,
        };
        for (const summary of [returned, await store.summary(SCOPE, 'classify')]) {
          expect(Object.keys(summary).sort()).toEqual(Object.keys(expected).sort());
          for (const [metric, value] of Object.entries(expected))
            expect(summary[metric as keyof typeof expected]).toBeCloseTo(value, 9);
        }
      });
    });

    it('keeps only the newest samples of the window', async () => {
      await using(
        () => factory(3),
        async ({ store }) => {
          for (const latencyMs of [1000, 2000, 10, 20, 30]) await store.record(SCOPE, sample({ latencyMs }));
          const summary = await store.summary(SCOPE, 'classify');
          expect(summary.samples).toBe(3);
          expect(summary.latency_ms).toBeCloseTo(20, 9);
        },
      );
    });

    it('keeps each channel, workflow and action apart', async () => {
      await using(factory, async ({ store }) => {
        const scopes: WorkflowScope[] = [
          SCOPE,
          { channel: 'slack:T1:C1:triage', workflow: '' },
          { channel: 'slack:T1:C{2}', workflow: 'triage' },
          { channel: 'slack:T1:C1', workflow: 'other' },
        ];
        for (const [index, scope] of scopes.entries())
          for (let n = 0; n <= index; n += 1) await store.record(scope, sample());
        await store.record(SCOPE, sample({ action: 'summarise' }));
        for (const [index, scope] of scopes.entries())
          expect((await store.summary(scope, 'classify')).samples).toBe(index + 1);
        expect((await store.summary(SCOPE, 'summarise')).samples).toBe(1);
      });
    });

    it('loses no sample to concurrent records', async () => {
      await using(factory, async ({ store }) => {
        const latencies = Array.from({ length: 30 }, (_, index) => index * 10);
        await Promise.all(latencies.map((latencyMs) => store.record(SCOPE, sample({ latencyMs }))));
        const summary = await store.summary(SCOPE, 'classify');
        expect(summary.samples).toBe(30);
        expect(summary.latency_ms).toBeCloseTo(145, 9);
      });
    });

    it('refuses a sample that cannot be stored, and records nothing', async () => {
      await using(factory, async ({ store }) => {
        expect(await codeOf(store.record(SCOPE, sample({ latencyMs: Number.NaN })))).toBe('VALIDATION');
        expect(await codeOf(store.record(SCOPE, sample({ repairs: -1 })))).toBe('VALIDATION');
        expect((await store.summary(SCOPE, 'classify')).samples).toBe(0);
      });
    });
  });
}
