/**
 * What the run page shows, read from the stores: the run, its step journal, the AI record of each
 * `ai.invoke` step, the votes of each `human.approval` step and the channel's audit entries about
 * the run or the version it runs. Nothing here is masked yet: the renderers mask every text with
 * the run's secret values (PageSources.mask) before escaping it.
 */
import type { AccessPolicy } from '../../access/privileges.js';
import { isTable } from '../../document/tree.js';
import type { AitwsDocument } from '../../document/types.js';
import type { Logger } from '../../logging.js';
import { type AiStepRecord, aiRecordKey, readAiStepRecord } from '../../runtime/ai/record.js';
import { type ApprovalMemo, readApprovalMemo } from '../../runtime/executors/human-approval-memo.js';
import type { RunRecord, RunStore, StepRecord } from '../../runtime/run-store.js';
import type { AccessStore, AuditEntry } from '../../session/access-port.js';
import type { SessionStore } from '../../session/port.js';
import type { PageSettings } from '../page-links.js';

/** Everything the pages read, as `aitws serve` has it. */
export interface PageSources {
  readonly settings: PageSettings;
  readonly runs: RunStore;
  /** The run's secret values and the usual patterns masked (Runtime.mask). */
  readonly mask: (run: RunRecord, text: string) => string;
  readonly access: AccessStore;
  /** Who holds what by default (admins, default privileges), to check `read` on every request. */
  readonly policy: AccessPolicy;
  readonly sessions: Pick<SessionStore, 'read' | 'history' | 'historyEntry'>;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** How often a live page's stream looks at the run (ms). */
  readonly pollMs?: number;
  /** Aborted when the server stops: open live streams end, so closing it need not wait for them. */
  readonly stopping?: AbortSignal;
}

export interface StepAi {
  readonly step: StepRecord;
  readonly record: AiStepRecord;
}

export interface StepApproval {
  readonly step: StepRecord;
  readonly memo: ApprovalMemo;
}

export interface RunView {
  readonly run: RunRecord;
  readonly steps: readonly StepRecord[];
  readonly ai: readonly StepAi[];
  readonly approvals: readonly StepApproval[];
  readonly audit: readonly AuditEntry[];
}

/** Audit entries looked through for the run's; the newest first. */
const AUDIT_SCAN = 500;

/** `Stage/Action` → the action's table in the run's document snapshot. */
export function actionsOf(document: AitwsDocument): Map<string, Readonly<Record<string, unknown>>> {
  const actions = new Map<string, Readonly<Record<string, unknown>>>();
  const stages = Array.isArray(document.stages) ? document.stages : [];
  for (const stage of stages) {
    if (!isTable(stage) || !Array.isArray(stage.actions)) continue;
    for (const action of stage.actions)
      if (isTable(action)) actions.set(`${String(stage.name)}/${String(action.name)}`, action);
  }
  return actions;
}

/** `Stage/Action#2` → `Stage/Action`. */
export function actionKey(stepKey: string): string {
  return stepKey.replace(/#\d+$/, '');
}

function typeOf(actions: ReadonlyMap<string, Readonly<Record<string, unknown>>>, step: StepRecord): string {
  return String(actions.get(actionKey(step.key))?.type ?? '');
}

/** How many step memos a page reads at once: a 1,000-action run has hundreds of them. */
const MEMO_READS_AT_ONCE = 16;

/** `read` for each step, at most MEMO_READS_AT_ONCE at a time, results in step order. */
async function readEach<T>(
  steps: readonly StepRecord[],
  read: (step: StepRecord) => Promise<T | undefined>,
): Promise<T[]> {
  const results: (T | undefined)[] = new Array(steps.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < steps.length; index = next++) {
      const step = steps[index];
      if (step !== undefined) results[index] = await read(step);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MEMO_READS_AT_ONCE, steps.length) }, worker));
  return results.filter((result): result is T => result !== undefined);
}

async function aiOf(store: RunStore, run: RunRecord, steps: readonly StepRecord[]): Promise<StepAi[]> {
  const actions = actionsOf(run.document);
  const candidates = steps.filter(
    (step) => typeOf(actions, step) === 'ai.invoke' || step.key.startsWith('handler:'),
  );
  return readEach(candidates, async (step) => {
    const memo = await store.readStepMemo(run.id, aiRecordKey(step.key));
    const record = memo === null ? undefined : readAiStepRecord(memo.value);
    return record === undefined ? undefined : { step, record };
  });
}

async function approvalsOf(
  store: RunStore,
  run: RunRecord,
  steps: readonly StepRecord[],
): Promise<StepApproval[]> {
  const actions = actionsOf(run.document);
  const candidates = steps.filter((step) => typeOf(actions, step) === 'human.approval');
  return readEach(candidates, async (step) => {
    const memo = await store.readStepMemo(run.id, step.key);
    const approval = memo === null ? undefined : readApprovalMemo(memo.value);
    return approval === undefined ? undefined : { step, memo: approval };
  });
}

/** Entries that name the run, or are about the version it runs (its submission and approval). */
async function auditOf(access: AccessStore, run: RunRecord): Promise<AuditEntry[]> {
  const entries = await access.recentAudit(run.channel, AUDIT_SCAN);
  return entries.filter(
    (entry) =>
      entry.command.includes(run.id) ||
      (entry.detail ?? '').includes(run.id) ||
      (entry.hash === run.workflow.hash && entry.versionAfter === run.workflow.version),
  );
}

/** null when the run is unknown (or removed by retention). */
export async function readRunView(sources: PageSources, runId: string): Promise<RunView | null> {
  const run = await sources.runs.read(runId);
  if (run === null) return null;
  const steps = await sources.runs.steps(run.id);
  const [ai, approvals, audit] = await Promise.all([
    aiOf(sources.runs, run, steps),
    approvalsOf(sources.runs, run, steps),
    auditOf(sources.access, run).catch((error: unknown) => {
      sources.logger.warn({ err: error, run: run.id }, 'the run page could not read the audit trail');
      return [];
    }),
  ]);
  return { run, steps, ai, approvals, audit };
}
