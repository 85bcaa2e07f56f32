/**
 * The Runtime end to end on one backend: the real engine, the built-in executors, a store and a
 * queue, and a recording HTTP service on 127.0.0.1. Run by the embedded (file store, in-process
 * queue), BullMQ and Redis Cluster test files.
 *
 *   runtimeContract('embedded', async () => ({ store, queue, cleanup }));
 *
 * The factory builds an empty store and queue (a processor error retried within about a second);
 * `cleanup` closes them and removes what they left.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { castRunVote, type RunVoteOutcome } from '../../src/runtime/executors/human-approval.js';
import type { RunQueue } from '../../src/runtime/queue-port.js';
import { isFinal, type RunStore } from '../../src/runtime/run-store.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { json, startServer, type TestServer } from '../runtime/executors/http-server.js';
import {
  action,
  assembleRuntime,
  call,
  finished,
  head,
  type RecordingChat,
  recordingChat,
  runWhen,
  stage,
  startRun,
} from '../support/runtime-parts.js';

export interface RuntimeFixture {
  readonly store: RunStore;
  readonly queue: RunQueue;
  /** Parallel groups as jobs of their own (the app does so with BullMQ). */
  readonly spreadGroups?: boolean;
  cleanup(): Promise<void>;
}

export type RuntimeFactory = () => Promise<RuntimeFixture>;

const ROLES = '[[roles]]\nname = "Lead"\nprivileges = ["read"]\n';

function countOf(server: TestServer, path: string): number {
  return server.received.filter((request) => request.url === path).length;
}

export function runtimeContract(name: string, factory: RuntimeFactory): void {
  describe(`Runtime contract: ${name}`, () => {
    let fixture: RuntimeFixture | undefined;
    let server: TestServer;
    let chat: RecordingChat;
    let runtime: Runtime;
    let store: RunStore;

    beforeEach(async () => {
      server = await startServer();
      server.route('/ok', (request, response) => json(response, 200, { got: request.body }));
      fixture = await factory();
      store = fixture.store;
      chat = recordingChat();
      runtime = assembleRuntime({
        store,
        queue: fixture.queue,
        chat,
        ...(fixture.spreadGroups === undefined ? {} : { spreadGroups: fixture.spreadGroups }),
      });
      await runtime.work(4);
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
      await server.close();
    });

    it('runs transform, http.request and chat.notify, passing outputs on; the journal holds them', async () => {
      const toml =
        head(server.origin) +
        stage(
          'S',
          1,
          action('Shape', 'transform', 'with = { set = { who = "{{ inputs.who }}" } }') +
            action(
              'Send',
              'http.request',
              'with = { service = "Api", method = "POST", path = "/ok", body = { name = "{{ steps.Shape.output.who }}" } }',
            ) +
            action('Tell', 'chat.notify', 'with = { text = "sent {{ steps.Send.output.body.got }}" }'),
        );
      const run = await startRun(runtime, toml, { who: 'Ada' });
      expect((await finished(store, run.id)).state).toBe('succeeded');
      const steps = await store.steps(run.id);
      expect(steps.map((step) => [step.key, step.state])).toEqual([
        ['S/Shape#1', 'succeeded'],
        ['S/Send#1', 'succeeded'],
        ['S/Tell#1', 'succeeded'],
      ]);
      expect(steps[0]?.output).toEqual({ who: 'Ada' });
      expect(steps[1]?.output).toMatchObject({ status: 200, body: { got: '{"name":"Ada"}' } });
      expect(countOf(server, '/ok')).toBe(1);
      expect(server.received[0]?.headers['idempotency-key']).toBe(`${run.id}/S/Send#1`);
      expect(chat.posts.map((post) => post.text)).toContain('sent {"name":"Ada"}');
    });

    it('skips by condition and loops a branch max_iterations times', async () => {
      const toml =
        `${head()}[[conditions]]\nname = "Again"\nexpression = "true"\n` +
        `[[conditions]]\nname = "Never"\nexpression = "inputs.mode == 'never'"\n` +
        `[[branches]]\nname = "Loop"\ncondition = "Again"\nafter = "Body"\nif_true = "Body"\nmax_iterations = 2\n` +
        stage(
          'Body',
          1,
          action('Work', 'transform', 'with = { set = { n = "{{ run.attempt }}" } }') +
            action('Maybe', 'transform', 'condition = "Never"\nwith = { set = { x = "1" } }'),
        ) +
        stage('End', 2, action('Done', 'transform', 'with = { set = { ok = "yes" } }'));
      const run = await startRun(runtime, toml, { mode: 'always' });
      expect((await finished(store, run.id)).state).toBe('succeeded');
      const states = (await store.steps(run.id)).map((step) => `${step.key}=${step.state}`);
      expect(states.sort()).toEqual(
        [
          'Body/Work#1=succeeded',
          'Body/Work#2=succeeded',
          'Body/Work#3=succeeded',
          'Body/Maybe#1=skipped',
          'Body/Maybe#2=skipped',
          'Body/Maybe#3=skipped',
          'End/Done#1=succeeded',
        ].sort(),
      );
    });

    it('runs a 200-wide parallel group (max_concurrency 50), every action once', async () => {
      const names = Array.from({ length: 200 }, (_, index) => `P${index}`);
      for (const task of names) server.route(`/p/${task}`, (_request, response) => json(response, 200, {}));
      const toml =
        `${head(server.origin)}[[parallel_execution]]\nname = "Fan"\ntasks = ${JSON.stringify(names)}\nmax_concurrency = 50\n` +
        stage('S', 1, names.map((task) => call(task, `/p/${task}`)).join(''));
      const run = await startRun(runtime, toml);
      expect((await finished(store, run.id, 30_000)).state).toBe('succeeded');
      for (const task of names) expect(countOf(server, `/p/${task}`)).toBe(1);
      expect(server.received).toHaveLength(200);
      const steps = await store.steps(run.id);
      expect(steps.filter((step) => step.state === 'succeeded')).toHaveLength(200);
    });

    it('completes a 1,000-action workflow (10 stages of 100 transforms)', async () => {
      let toml = head();
      for (let s = 0; s < 10; s++) {
        let actions = '';
        for (let a = 0; a < 100; a++)
          actions += action(`A${s}_${a}`, 'transform', `with = { set = { v = "${a}" } }`);
        toml += stage(`S${s}`, s + 1, actions);
      }
      const run = await startRun(runtime, toml);
      expect((await finished(store, run.id, 40_000)).state).toBe('succeeded');
      const steps = await store.steps(run.id);
      expect(steps).toHaveLength(1000);
      expect(steps.every((step) => step.state === 'succeeded')).toBe(true);
    }, 50_000);

    it('cancel mid-action: the run is cancelled and the held request is aborted', async () => {
      let aborted = false;
      server.route('/hang', (_request, response) => {
        response.on('close', () => {
          aborted = !response.writableFinished;
        });
      });
      const toml = head(server.origin) + stage('S', 1, call('Hang', '/hang') + call('After', '/ok'));
      const run = await startRun(runtime, toml);
      await waitUntil(() => countOf(server, '/hang') === 1);
      const current = await runWhen(store, run.id, (r) => r.state === 'running');
      const cancelled = await runtime.cancel(current, { id: 'U2', name: 'Bea' });
      expect(cancelled.state).toBe('cancelled');
      await waitUntil(() => aborted);
      expect((await finished(store, run.id)).error?.code).toBe('CANCELLED');
      expect(countOf(server, '/ok')).toBe(0);
    });

    it('cancel while a parallel group runs: every member in flight is aborted', async () => {
      let closed = 0;
      server.route('/hang', (_request, response) => {
        response.on('close', () => {
          if (!response.writableFinished) closed += 1;
        });
      });
      const toml =
        `${head(server.origin)}[[parallel_execution]]\nname = "Fan"\ntasks = ["H1", "H2", "H3"]\nmax_concurrency = 3\n` +
        stage('S', 1, call('H1', '/hang') + call('H2', '/hang') + call('H3', '/hang')) +
        stage('T', 2, call('After', '/ok'));
      const run = await startRun(runtime, toml);
      await waitUntil(() => countOf(server, '/hang') === 3);
      const current = await runWhen(store, run.id, (r) => !isFinal(r.state));
      expect((await runtime.cancel(current, { id: 'U2', name: 'Bea' })).state).toBe('cancelled');
      await waitUntil(() => closed === 3);
      expect(countOf(server, '/ok')).toBe(0);
    });

    it('/retry continues from the failed action; completed actions are not repeated', async () => {
      let flaky = 0;
      server.route('/flaky', (_request, response) => {
        flaky += 1;
        json(response, flaky === 1 ? 500 : 200, {});
      });
      const toml =
        head(server.origin) +
        stage('S', 1, call('First', '/ok') + call('Flaky', '/flaky') + call('Last', '/last'));
      server.route('/last', (_request, response) => json(response, 200, {}));
      const run = await startRun(runtime, toml);
      const failed = await finished(store, run.id);
      expect(failed.state).toBe('failed');
      expect(failed.error?.code).toBe('HTTP_STATUS');
      await runtime.retry(failed);
      expect((await finished(store, run.id)).state).toBe('succeeded');
      expect([countOf(server, '/ok'), countOf(server, '/flaky'), countOf(server, '/last')]).toEqual([
        1, 2, 1,
      ]);
    });

    it('a parallel group with failing members: on_error = "continue" goes on, a failure fails the run, /retry runs the failed again', async () => {
      let flaky = 0;
      server.route('/flaky', (_request, response) => {
        flaky += 1;
        json(response, flaky === 1 ? 500 : 200, {});
      });
      server.route('/bad', (_request, response) => json(response, 400, {}));
      server.route('/last', (_request, response) => json(response, 200, {}));
      const toml =
        `${head(server.origin)}[[parallel_execution]]\nname = "Fan"\ntasks = ["Good", "Soft", "Hard"]\nmax_concurrency = 3\n` +
        stage(
          'S',
          1,
          call('Good', '/ok') + call('Soft', '/bad', 'on_error = "continue"') + call('Hard', '/flaky'),
        ) +
        stage('T', 2, call('Last', '/last'));
      const run = await startRun(runtime, toml);
      const failed = await finished(store, run.id);
      expect(failed.state).toBe('failed');
      expect(failed.error?.message).toMatch(/^S\/Hard#1: /);
      expect([
        countOf(server, '/ok'),
        countOf(server, '/bad'),
        countOf(server, '/flaky'),
        countOf(server, '/last'),
      ]).toEqual([1, 1, 1, 0]);
      await runtime.retry(failed);
      expect((await finished(store, run.id)).state).toBe('succeeded');
      // Each failed member runs again (Soft fails again and is let go); Good is not repeated.
      expect([
        countOf(server, '/ok'),
        countOf(server, '/bad'),
        countOf(server, '/flaky'),
        countOf(server, '/last'),
      ]).toEqual([1, 2, 2, 1]);
    });

    // The failed action's retry interval (an hour here) counts between its own attempts, not
    // between a failure and a person's /retry.
    it('/retry runs the failed action at once, not after its retry interval', async () => {
      let calls = 0;
      server.route('/once-bad', (_request, response) => {
        calls += 1;
        json(response, calls === 1 ? 500 : 200, {});
      });
      const toml =
        head(server.origin) + stage('S', 1, call('Bad', '/once-bad', 'retry = { max = 0, interval = "1h" }'));
      const run = await startRun(runtime, toml);
      await runtime.retry(await finished(store, run.id));
      const after = await runWhen(store, run.id, (r) => r.state === 'waiting' || r.state === 'succeeded');
      expect(after.state).toBe('succeeded');
      expect(calls).toBe(2);
    });

    it('two approvers voting at once: exactly one decision, the run succeeds', async () => {
      const toml =
        ROLES +
        head() +
        stage(
          'S',
          1,
          action('Approve', 'human.approval', 'with = { approvers = ["Lead"] }') +
            action('After', 'transform', 'with = { set = { by = "{{ steps.Approve.output.by }}" } }'),
        );
      const run = await startRun(runtime, toml);
      await runWhen(store, run.id, (r) => r.state === 'waiting');
      const vote = (id: string, voter: string): Promise<RunVoteOutcome> =>
        castRunVote(store, {
          runId: run.id,
          stepKey: 'S/Approve#1',
          voter: { id, name: voter },
          choice: 'approve',
          now: new Date(),
          eligible: async () => ({ eligible: true }),
        });
      const outcomes = await Promise.all([vote('U2', 'Bea'), vote('U3', 'Cy')]);
      const deciding = outcomes.filter(
        (outcome) => outcome.kind === 'counted' && outcome.decision !== undefined,
      );
      expect(deciding).toHaveLength(1);
      await runtime.wake(run.id);
      expect((await finished(store, run.id)).state).toBe('succeeded');
      const approve = (await store.steps(run.id)).find((step) => step.key === 'S/Approve#1');
      // One decision, by whichever vote reached it first: `by` names exactly one approver.
      expect(approve?.output).toMatchObject({
        decision: 'approved',
        by: [expect.stringMatching(/^(Bea|Cy)$/)],
      });
    });

    it('an approval nobody decides times out: the run fails with APPROVAL_TIMEOUT', async () => {
      const toml =
        ROLES +
        head() +
        stage(
          'S',
          1,
          action(
            'Approve',
            'human.approval',
            'with = { approvers = ["Lead"], timeout = "1s", on_timeout = "reject" }',
          ),
        );
      const run = await startRun(runtime, toml);
      await runWhen(store, run.id, (r) => r.state === 'waiting');
      const failed = await finished(store, run.id);
      expect(failed.state).toBe('failed');
      expect(failed.error?.code).toBe('APPROVAL_TIMEOUT');
    });
  });
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
