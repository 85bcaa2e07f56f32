/**
 * What `aitws run` prints while a run goes on: the messages the run posts (chat.notify, an
 * approval request), each state change, each finished action with its output, and the outcome.
 * The run store is read every `pollMs`, so the same follower works on the file store (embedded)
 * and on Redis (a worker elsewhere does the work).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { outputText, stepName } from '../commands/runs/run-text.js';
import { inert } from '../document/inert-text.js';
import type { Output } from '../output.js';
import type { NotifyRequest, PostedMessage } from '../runtime/executor.js';
import { actionCount, durationText, finishedActions } from '../runtime/progress.js';
import type { RunChat } from '../runtime/run-services.js';
import { isFinal, type RunRecord, type RunStore, type StepRecord } from '../runtime/run-store.js';
import type { ChannelKey } from '../session/port.js';

/**
 * The runtime's own progress message (src/runtime/progress.ts): the follower prints the same facts
 * line by line, so the message is left out rather than shown twice.
 */
const PROGRESS_MESSAGE = /^Run r[a-z2-9]{10} of .+: \w+/;

/** The run's posts as `» text` lines; edits (progress, an approval's decision) are left out: the follower says it. */
export class CliRunChat implements RunChat {
  readonly #io: Output;
  #sequence = 0;

  constructor(io: Output) {
    this.#io = io;
  }

  async post(channel: ChannelKey, request: NotifyRequest): Promise<PostedMessage> {
    this.#sequence += 1;
    if (PROGRESS_MESSAGE.test(request.text)) return { channel, messageId: String(this.#sequence) };
    const target = request.target === undefined ? '' : ` → ${request.target}`;
    const buttons = (request.buttons ?? []).map((button) => `[${button.label}]`).join(' ');
    this.#io.out(`» ${inert(request.text)}${target}${buttons === '' ? '' : ` ${buttons}`}`);
    return { channel, messageId: String(this.#sequence) };
  }

  async update(): Promise<void> {}
}

export interface FollowOptions {
  readonly pollMs?: number;
  /**
   * Embedded: resolves when this process has nothing left to do now. A run still not finished
   * then waits on people (or on a long delay or an event), so following it ends there.
   */
  readonly settled?: () => Promise<void>;
}

function stateLine(run: RunRecord): string {
  const waiting =
    run.waitingFor === undefined ? '' : ` (${run.waitingFor.kind}: ${inert(run.waitingFor.key)})`;
  const at =
    run.position === undefined
      ? ''
      : ` at ${inert(run.position.stage)}${run.position.action === undefined ? '' : ` / ${inert(run.position.action)}`}`;
  return `${run.id}: ${run.state}${waiting}${run.state === 'running' ? at : ''}`;
}

function stepLine(step: StepRecord): string {
  const mark = step.state === 'succeeded' ? '✓' : step.state === 'failed' ? '✗' : '·';
  return `  ${mark} ${inert(stepName(step.key))}: ${inert(outputText(step))}`;
}

/** Prints what changed since the last look; returns nothing, remembers in `seen`. */
class Printer {
  readonly #io: Output;
  #state: string | undefined;
  readonly #steps = new Map<string, string>();

  constructor(io: Output) {
    this.#io = io;
  }

  show(run: RunRecord, steps: readonly StepRecord[]): void {
    for (const step of steps) {
      if (step.state === 'started') continue;
      const mark = `${step.attempt}:${step.state}`;
      if (this.#steps.get(step.key) === mark) continue;
      this.#steps.set(step.key, mark);
      this.#io.out(stepLine(step));
    }
    const line = stateLine(run);
    if (line !== this.#state) {
      this.#state = line;
      this.#io.out(line);
    }
  }
}

/** Follows a run until it is final, or (embedded) until it waits on something this process cannot end. */
export async function followRun(
  store: RunStore,
  runId: string,
  io: Output,
  options: FollowOptions = {},
): Promise<RunRecord> {
  const printer = new Printer(io);
  let settled = false;
  const arm = (): void => {
    options.settled?.().then(
      () => {
        settled = true;
      },
      () => undefined,
    );
  };
  arm();
  for (;;) {
    // Read before the flag: a run that settled between the two reads is seen in its settled state.
    const wasSettled = settled;
    const run = await store.read(runId);
    if (run === null) throw new Error(`run ${runId} disappeared from the run store`);
    printer.show(run, await store.steps(runId));
    if (isFinal(run.state)) return run;
    if (wasSettled) {
      if (run.state === 'waiting') return run;
      settled = false;
      arm();
    }
    await sleep(options.pollMs ?? 100);
  }
}

/** The last line: how it ended, how long it took, how much of it ran, and why it failed. */
export async function outcomeLine(store: RunStore, run: RunRecord, planned: number): Promise<string> {
  const done = finishedActions(await store.steps(run.id));
  const took = durationText(Date.parse(run.updatedAt) - Date.parse(run.createdAt));
  const why = run.error === undefined ? '' : `: ${inert(run.error.message)}`;
  const state = run.state.replace('_', ' ');
  return `Run ${run.id} ${state} in ${took} (${done} of ${actionCount(planned)})${why}`;
}
