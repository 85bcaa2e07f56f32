/** People, role checks and shortcuts shared by the human.approval tests. */
import { AitwsError } from '../../../src/errors.js';
import type { ActionContext, ActionOutcome } from '../../../src/runtime/executor.js';
import {
  type ApprovalParams,
  type CastRunVoteInput,
  castRunVote,
  humanApprovalExecutor,
  type RunVoteOutcome,
} from '../../../src/runtime/executors/human-approval.js';
import type { JsonObject, RunActor } from '../../../src/runtime/run-store.js';
import type { ActionHarness } from './context.js';

export const ADA: RunActor = { id: 'U1', name: 'Ada' }; // started every test run
export const BEA: RunActor = { id: 'U2', name: 'Bea' };
export const CY: RunActor = { id: 'U3', name: 'Cy' };
export const DAN: RunActor = { id: 'U4', name: 'Dan' };
export const HOUR = 3_600_000;

/** Who holds which role, as the command layer would check at click time. */
export const ROLES: Readonly<Record<string, readonly string[]>> = {
  U1: ['Lead'],
  U2: ['Lead'],
  U3: ['Lead'],
  U4: [],
};

export const eligible: CastRunVoteInput['eligible'] = async (voter, approvers) =>
  (ROLES[voter.id] ?? []).some((role) => approvers.includes(role))
    ? { eligible: true }
    : { eligible: false, reason: `${voter.name} does not hold ${approvers.join(' or ')}.` };

export function params(overrides: Record<string, unknown> = {}): ApprovalParams {
  return humanApprovalExecutor.params.parse({
    approvers: ['Lead'],
    message: 'Deploy to prod?',
    ...overrides,
  });
}

export async function failure(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

export function vote(
  harness: ActionHarness,
  voter: RunActor,
  choice: 'approve' | 'reject' = 'approve',
  reason?: string,
): Promise<RunVoteOutcome> {
  return castRunVote(harness.store, {
    runId: harness.runId,
    stepKey: harness.stepKey,
    voter,
    choice,
    ...(reason === undefined ? {} : { reason }),
    now: harness.clock.now(),
    eligible,
  });
}

export async function memoOf(harness: ActionHarness): Promise<JsonObject> {
  const memo = await harness.store.readStepMemo(harness.runId, harness.stepKey);
  if (memo === null) throw new Error('no memo');
  return memo.value;
}

export function run(context: ActionContext, p: ApprovalParams): Promise<ActionOutcome> {
  return humanApprovalExecutor.run(context, p);
}
