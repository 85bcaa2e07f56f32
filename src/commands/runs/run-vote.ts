/**
 * /approve RUN and /reject RUN [REASON]: a vote on the human.approval step a run waits on, typed
 * or clicked (the buttons send `run=ID:TOKEN`, TOKEN naming the step the button was posted for,
 * so a click on an old approval message cannot count toward a newer step).
 */
import { maskSecrets } from '../../document/redact.js';
import { AitwsError } from '../../errors.js';
import { castRunVote, stepToken } from '../../runtime/executors/human-approval.js';
import type { RunActor, RunRecord } from '../../runtime/run-store.js';
import type { Runtime } from '../../runtime/runtime.js';
import { privateAnswer, type Reply, success } from '../reply.js';
import type { CommandContext } from '../types.js';

const BOUND = /^run=([A-Za-z0-9_-]{1,64}):([0-9a-f]{12})(?:\s+|$)/;
const RUN_WORD = /^([A-Za-z0-9_-]{1,64})(?:\s+|$)/;

export interface RunVoteTarget {
  readonly run: RunRecord;
  readonly token?: string;
  readonly reason?: string;
}

/** The run the line names (bound by a button or typed as the first word), if it names one here. */
export async function runVoteTarget(context: CommandContext): Promise<RunVoteTarget | undefined> {
  const runtime = context.runtime;
  if (runtime === undefined) return undefined;
  const rest = context.command.positionals[0] ?? '';
  const bound = BOUND.exec(rest);
  const word = bound === null ? RUN_WORD.exec(rest) : null;
  const id = bound?.[1] ?? word?.[1];
  if (id === undefined) return undefined;
  const run = await runtime.store.read(id);
  if (run === null || !sameChannel(run, context)) {
    if (bound !== null) throw new AitwsError('NO_RUN', `There is no run ${id} in this channel.`);
    return undefined;
  }
  const reason = rest.slice((bound ?? word)?.[0].length ?? 0).trim();
  return {
    run,
    ...(bound?.[2] === undefined ? {} : { token: bound[2] }),
    ...(reason === '' ? {} : { reason: maskSecrets(reason) }),
  };
}

function sameChannel(run: RunRecord, context: CommandContext): boolean {
  const { channel } = context.invocation;
  return (
    run.channel.platform === channel.platform &&
    run.channel.workspace === channel.workspace &&
    run.channel.channel === channel.channel
  );
}

async function holdsOneOf(
  context: CommandContext,
  voter: RunActor,
  roles: readonly string[],
): Promise<boolean> {
  const record = await context.access.read(context.invocation.channel);
  return record.grants.some((grant) => grant.user.id === voter.id && roles.includes(grant.role));
}

export async function voteOnRun(
  context: CommandContext,
  runtime: Runtime,
  target: RunVoteTarget,
  choice: 'approve' | 'reject',
): Promise<Reply> {
  const { run } = target;
  const key = run.waitingFor?.kind === 'approval' ? run.waitingFor.key : undefined;
  if (key === undefined || (target.token !== undefined && stepToken(key) !== target.token))
    throw new AitwsError(
      'RUN_FINISHED',
      `Run ${run.id} is not waiting for this approval (it is ${run.state}).`,
      {
        hint: `/status ${run.id} says where it is.`,
      },
    );
  const { actor } = context.invocation;
  const voter = { id: actor.id, name: actor.name };
  const outcome = await castRunVote(runtime.store, {
    runId: run.id,
    stepKey: key,
    voter,
    choice,
    now: context.now(),
    ...(target.reason === undefined ? {} : { reason: target.reason }),
    eligible: async (person, approvers) =>
      (await holdsOneOf(context, person, approvers))
        ? { eligible: true }
        : {
            eligible: false,
            reason: `Only people holding the role ${approvers.join(' or ')} can vote on this step; /members shows who does.`,
          },
  });
  switch (outcome.kind) {
    case 'refused':
      throw new AitwsError('FORBIDDEN', outcome.message);
    case 'repeat':
      return privateAnswer(`You already voted on this step of run ${run.id} (${outcome.vote.choice}).`);
    case 'decided-already':
      return privateAnswer(`This step of run ${run.id} is already decided: ${outcome.decision.decision}.`);
    case 'counted': {
      // Every counted vote wakes the run: the step edits its message (n of q), or goes on when decided.
      await runtime.wake(run.id);
      const verb = choice === 'approve' ? 'approved' : 'rejected';
      const tally = `${outcome.approvals} of ${outcome.quorum} approvals`;
      const decided =
        outcome.decision === undefined ? '' : ` The step is ${outcome.decision.decision}; the run goes on.`;
      return success(`${actor.name} ${verb} run ${run.id} (${tally}).${decided}`, {
        data: {
          run_id: run.id,
          step: key,
          approvals: outcome.approvals,
          quorum: outcome.quorum,
          decision: outcome.decision?.decision ?? null,
        },
      });
    }
  }
}
