/** How runs read in chat: one line per run, a status with progress, outputs per action. */
import { maskSecrets } from '../../document/redact.js';
import { plannedActionCount } from '../../runtime/plan.js';
import { durationText, finishedActions } from '../../runtime/progress.js';

export { actionCount } from '../../runtime/progress.js';

import { isFinal, type RunRecord, type StepRecord } from '../../runtime/run-store.js';

const STATE_WORDS: Record<RunRecord['state'], string> = {
  queued: 'queued',
  running: 'running',
  waiting: 'waiting',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  timed_out: 'timed out',
};

export function stateWord(run: RunRecord): string {
  return STATE_WORDS[run.state];
}

/** How long the run has taken so far (or took). */
export function elapsedMs(run: RunRecord, now: Date): number {
  const end = isFinal(run.state) ? Date.parse(run.updatedAt) : now.getTime();
  return end - Date.parse(run.createdAt);
}

export function runLine(run: RunRecord, now: Date): string {
  const version = `${run.workflow.name} v${run.workflow.version}`;
  return `${run.id} · ${stateWord(run)} · ${version} · by ${run.startedBy.name} · ${durationText(elapsedMs(run, now))}`;
}

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly percent: number;
  /** `Stage / Action` running now, or what the run waits for. */
  readonly current?: string;
}

function plannedActions(run: RunRecord): number {
  try {
    return plannedActionCount(run.document);
  } catch {
    return 0;
  }
}

export function progressOf(run: RunRecord, steps: readonly StepRecord[]): Progress {
  const total = plannedActions(run);
  const done = finishedActions(steps);
  const share = total === 0 ? 0 : Math.floor((done / total) * 100);
  // A run still going never shows 100%; a finished one shows how far it got.
  const percent = run.state === 'succeeded' ? 100 : isFinal(run.state) ? share : Math.min(99, share);
  const open = [...steps].reverse().find((s) => s.state === 'started');
  const current =
    run.waitingFor !== undefined
      ? `${stepName(run.waitingFor.key)} (waiting for ${run.waitingFor.kind === 'approval' ? 'an approval' : run.waitingFor.kind === 'event' ? 'an event' : 'a delay to end'})`
      : open === undefined || isFinal(run.state)
        ? undefined
        : stepName(open.key);
  return { done, total, percent, ...(current === undefined ? {} : { current }) };
}

/** `/retry` is the way on from a failed or timed-out run: its status and results say so. */
export function retryHint(run: RunRecord): string | undefined {
  return run.state === 'failed' || run.state === 'timed_out'
    ? `/retry ${run.id} runs it again from the failed action; completed actions are kept.`
    : undefined;
}

/** `Stage/Action#2` → `Stage / Action (pass 2)`. */
export function stepName(key: string): string {
  const match = /^(.*)\/([^/]*)#(\d+)$/.exec(key);
  if (match === null) return key;
  const pass = match[3] === '1' ? '' : ` (pass ${match[3]})`;
  return `${match[1]} / ${match[2]}${pass}`;
}

/** A step's output as text for chat, secrets masked. */
export function outputText(step: StepRecord): string {
  if (step.state === 'skipped') return 'skipped';
  if (step.state === 'failed') return `failed: ${maskSecrets(step.error?.message ?? 'no reason recorded')}`;
  if (step.state === 'started') return 'running';
  const compact = JSON.stringify(step.output ?? null);
  return maskSecrets(compact.length <= 200 ? compact : JSON.stringify(step.output ?? null, null, 2));
}
