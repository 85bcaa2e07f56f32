/**
 * One progress message per run, in the run's channel, edited in place as stages complete and
 * replaced by a summary (duration, outcome, a Results button) when the run ends. Any worker may
 * make the next edit: the message's id and the time of the last edit live in the run's memo
 * `run:progress`. Edits are debounced to one per `minEditMs` (the final one always goes), which
 * keeps a 1,000-action run far below Slack's and Discord's edit rate limits; the adapters honour
 * Retry-After on top.
 */
import type { Logger } from '../logging.js';
import type { NotifyRequest, PostedMessage } from './executor.js';
import { plannedActionCount } from './plan.js';
import type { RunChat } from './run-services.js';
import { isFinal, type JsonObject, type RunRecord, type RunStore, type StepRecord } from './run-store.js';

export const PROGRESS_MEMO = 'run:progress';

export interface ProgressOptions {
  readonly store: RunStore;
  readonly chat: RunChat;
  readonly logger: Logger;
  readonly now: () => Date;
  /** At most one edit per this long, except the final summary. Default 3 s. */
  readonly minEditMs?: number;
  /** Run pages are served: the message carries an Open button (a link for whoever clicks). */
  readonly openButton?: boolean;
}

/** The id of the button that shows a run's results (clicks.ts turns it into /results RUN). */
export function resultsButtonId(runId: string): string {
  return `aitws:results:${runId}`;
}

const RESULTS_BUTTON = /^aitws:results:([A-Za-z0-9_-]{1,64})$/;

export function parseResultsButton(id: string): string | undefined {
  return RESULTS_BUTTON.exec(id)?.[1];
}

/**
 * The id of the button that opens a run's page. A message's link would be the same for everyone,
 * and a page link is made for one person: the click answers the clicker alone with theirs.
 */
export function openButtonId(runId: string): string {
  return `aitws:open:${runId}`;
}

const OPEN_BUTTON = /^aitws:open:([A-Za-z0-9_-]{1,64})$/;

export function parseOpenButton(id: string): string | undefined {
  return OPEN_BUTTON.exec(id)?.[1];
}

/** A duration as people read it: `45 ms`, `3.2 s`, `12 min`, `2.5 h`. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Actions a run has finished (succeeded, failed or skipped), handlers left out. */
/** `1 action`, `3 actions`. */
export function actionCount(count: number): string {
  return `${count} ${count === 1 ? 'action' : 'actions'}`;
}

export function finishedActions(steps: readonly StepRecord[]): number {
  return steps.filter((step) => step.state !== 'started' && !step.key.startsWith('handler:')).length;
}

export function progressText(
  run: RunRecord,
  steps: readonly StepRecord[],
  planned: number,
  now: Date,
  openButton = false,
): NotifyRequest {
  const open = openButton ? [{ id: openButtonId(run.id), label: 'Open' }] : [];
  const name = `${run.workflow.name} v${run.workflow.version}`;
  const done = finishedActions(steps);
  if (isFinal(run.state)) {
    const took = durationText(Date.parse(run.updatedAt) - Date.parse(run.createdAt));
    const outcome = run.state === 'succeeded' ? '✅ succeeded' : `❌ ${run.state.replace('_', ' ')}`;
    const why = run.error === undefined ? '' : `: ${run.error.message}`;
    return {
      text: `Run ${run.id} of ${name} ${outcome} in ${took} (${done} of ${actionCount(planned)})${why}`,
      buttons: [{ id: resultsButtonId(run.id), label: 'Results' }, ...open],
    };
  }
  const at = run.waitingFor !== undefined ? ` · waiting (${run.waitingFor.kind})` : '';
  const elapsed = durationText(now.getTime() - Date.parse(run.createdAt));
  return {
    text: `Run ${run.id} of ${name}: ${run.state}${at} · ${done} of ${actionCount(planned)} · ${elapsed}`,
    ...(open.length === 0 ? {} : { buttons: open }),
  };
}

export class RunProgress {
  readonly #options: ProgressOptions;

  constructor(options: ProgressOptions) {
    this.#options = options;
  }

  /** Posts or edits the run's progress message; never throws (chat trouble must not fail a run). */
  async update(run: RunRecord): Promise<void> {
    try {
      await this.#update(run);
    } catch (error) {
      this.#options.logger.warn({ runId: run.id, err: error }, 'The progress message could not be updated');
    }
  }

  async #update(run: RunRecord): Promise<void> {
    const { store, chat, now } = this.#options;
    const memo = await store.readStepMemo(run.id, PROGRESS_MEMO);
    const final = isFinal(run.state);
    const lastEdit = typeof memo?.value.at === 'string' ? Date.parse(memo.value.at) : 0;
    if (!final && memo !== null && now().getTime() - lastEdit < (this.#options.minEditMs ?? 3000)) return;
    const steps = await store.steps(run.id);
    const request = progressText(
      run,
      steps,
      plannedActionCount(run.document),
      now(),
      this.#options.openButton === true,
    );
    const message = messageOf(memo?.value.message);
    const at = now().toISOString();
    if (message === undefined) {
      // Claim the memo first, so two workers racing on one run post one message.
      if (!(await store.writeStepMemo(run.id, PROGRESS_MEMO, memo?.revision ?? 0, { at }))) return;
      const posted = await chat.post(run.channel, request);
      if (posted === undefined) return;
      const claimed = await store.readStepMemo(run.id, PROGRESS_MEMO);
      await store.writeStepMemo(run.id, PROGRESS_MEMO, claimed?.revision ?? 0, {
        at,
        message: messageJson(posted),
      });
      return;
    }
    if (
      !(await store.writeStepMemo(run.id, PROGRESS_MEMO, memo?.revision ?? 0, {
        at,
        message: messageJson(message),
      }))
    )
      if (!final) return;
    await chat.update(message, request);
  }
}

function messageOf(value: unknown): PostedMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as { channel?: unknown; messageId?: unknown };
  if (
    typeof candidate.messageId !== 'string' ||
    typeof candidate.channel !== 'object' ||
    candidate.channel === null
  )
    return undefined;
  return value as PostedMessage;
}

function messageJson(message: PostedMessage): JsonObject {
  const { platform, workspace, channel } = message.channel;
  return { channel: { platform, workspace, channel }, messageId: message.messageId };
}
