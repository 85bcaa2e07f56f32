/**
 * Assistant proposals as one change. A proposal's commands are run by the real command
 * definitions against a copy of the draft (an in-memory store seeded with it): once when the
 * proposal is made, to drop the invalid ones, and again inside a single compare-and-set when a
 * person applies it, so the history gets one entry and one /undo reverts the lot.
 */

import { createHash } from 'node:crypto';
import { AccessControl } from '../access/service.js';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError, formatFinding, ValidationError } from '../errors.js';
import { silentLogger } from '../logging.js';
import { MemoryAccessStore } from '../session/access-memory.js';
import { Drafts } from '../session/drafts.js';
import type { Choice, InteractionStore, PendingAction } from '../session/interaction-port.js';
import { MemoryInteractionStore } from '../session/memory-interactions.js';
import { MemorySessionStore } from '../session/memory-store.js';
import { type ChannelKey, channelId } from '../session/port.js';
import { checkArguments } from './arguments.js';
import { ACTION_TTL_SECONDS } from './buttons.js';
import { commitChange, unchanged } from './draft.js';
import { normalizeChatText, parseCommandLine } from './grammar/index.js';
import { historyLine } from './history-line.js';
import type { Reply } from './reply.js';
import { success } from './reply.js';
import type { CommandContext, CommandDefinition } from './types.js';

/** What a proposal may contain: edits of the draft, nothing that reads files or asks again. */
const PROPOSABLE: ReadonlySet<string> = new Set(['create', 'add', 'remove']);

export interface Step {
  readonly command: string;
  /** Why the command failed against the copy; absent when it worked. */
  readonly error?: string;
}

export interface Simulation {
  readonly steps: readonly Step[];
  /** The copy after every command that worked. */
  readonly document: AitwsDocument | null;
}

function describe(error: AitwsError): string {
  if (error instanceof ValidationError && error.findings.length > 1)
    return [error.message, ...error.findings.slice(0, 3).map(formatFinding)].join(' ');
  return error.message;
}

function firstText(reply: Reply): string {
  const block = reply.blocks.find((candidate) => candidate.kind === 'text');
  return block?.kind === 'text' ? block.text : 'the command failed';
}

async function runOnCopy(
  context: CommandContext,
  sessions: MemorySessionStore,
  line: string,
  definitions: readonly CommandDefinition[],
): Promise<string | undefined> {
  try {
    const text = normalizeChatText(line);
    const command = parseCommandLine(text);
    const definition = definitions.find((candidate) => candidate.name === command.name);
    if (definition === undefined || !PROPOSABLE.has(command.name))
      return `/${command.name} cannot be proposed (only /add, /remove and /create)`;
    checkArguments(definition, command);
    const { channel, actor } = context.invocation;
    const reply = await definition.run({
      invocation: { text, channel, actor },
      command,
      drafts: new Drafts(sessions, { limits: context.limits, now: context.now }),
      interactions: new MemoryInteractionStore(),
      files: undefined,
      limits: context.limits,
      now: context.now,
      // The copy's changes are not the channel's: they go to a throwaway trail, not the audit.
      access: new AccessControl({
        store: new MemoryAccessStore(),
        policy: context.access.policy,
        now: context.now,
        logger: silentLogger,
      }),
      caller: context.caller,
      notices: [],
    });
    return reply.ok ? undefined : firstText(reply);
  } catch (error) {
    if (error instanceof AitwsError) return describe(error);
    throw error;
  }
}

/** Runs each line in order on a copy of `document`; a line that fails is skipped, the rest go on. */
export async function simulate(
  context: CommandContext,
  document: AitwsDocument | null,
  lines: readonly string[],
  definitions: readonly CommandDefinition[],
): Promise<Simulation> {
  const sessions = new MemorySessionStore({ historyLimit: 2 });
  const { channel, actor } = context.invocation;
  if (document !== null) {
    await sessions.write(channel, 0, {
      document,
      at: context.now().toISOString(),
      by: actor.name,
      change: 'copy of the draft',
    });
  }
  const steps: Step[] = [];
  for (const line of lines) {
    const error = await runOnCopy(context, sessions, line, definitions);
    steps.push(error === undefined ? { command: line } : { command: line, error });
  }
  return { steps, document: (await sessions.read(channel)).document };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Applies a decided proposal as the person in `context`, as one change, or changes nothing. */
export async function applyBatch(
  context: CommandContext,
  action: PendingAction,
  definitions: readonly CommandDefinition[],
): Promise<Reply> {
  const batch: CommandContext = {
    ...context,
    invocation: { ...context.invocation, text: `assistant proposal: ${action.commands.join(' ; ')}` },
  };
  const committed = await commitChange(
    batch,
    async (record) => {
      const simulation = await simulate(batch, record.document, action.commands, definitions);
      const failed = simulation.steps.find((step) => step.error !== undefined);
      if (failed !== undefined) {
        throw new AitwsError(
          'PROPOSAL_STALE',
          `The proposal no longer fits the draft (v${record.version}): ${failed.command} — ${failed.error}`,
          { hint: 'Nothing was changed. Ask again with /ask for a fresh proposal.' },
        );
      }
      return { document: simulation.document, result: simulation.steps.length };
    },
    { historyLine: `assistant proposal: ${action.commands.map((line) => historyLine(line)).join(' ; ')}` },
  );
  if (!committed.changed)
    return unchanged(committed.version, 'the draft already has what the proposal makes');
  const count = plural(committed.result, 'proposed command');
  return success(
    `${context.invocation.actor.name} applied ${count} as one change · v${committed.version}. /undo reverts all of it.`,
    {
      blocks: [{ kind: 'code', language: 'text', code: action.commands.join('\n') }],
      warnings: committed.newWarnings.map(formatFinding),
      data: { version: committed.version, applied: action.commands, proposal: action.id },
    },
  );
}

/*
 * The latest proposal of a channel is found without storing a pointer: each proposal takes the
 * next number of a per-channel counter, and its id is derived from (channel, number). The id is
 * claimed once, so a counter that expired and restarted can never hand out an id still in use.
 */
const SEQUENCE_SCOPE = 'assistant:proposals';
const SEQUENCE_TTL_SECONDS = 30 * 24 * 3600;

function proposalId(channel: ChannelKey, sequence: number): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([channelId(channel), sequence]))
    .digest('base64url');
  return `p${digest.slice(0, 20)}`;
}

export async function nextProposalId(interactions: InteractionStore, channel: ChannelKey): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const sequence = await interactions.increment(
      SEQUENCE_SCOPE,
      channelId(channel),
      1,
      SEQUENCE_TTL_SECONDS,
    );
    const id = proposalId(channel, sequence);
    if (await interactions.claimOnce('assistant:proposal-id', id, ACTION_TTL_SECONDS)) return id;
  }
  throw new AitwsError('CONFLICT', 'Could not number the proposal; nothing was proposed.', {
    retryable: true,
    hint: 'Ask again.',
  });
}

function noProposal(message: string): AitwsError {
  return new AitwsError('NO_PROPOSAL', message, {
    hint: 'Ask for a change with /ask, e.g. /ask add a read-only Auditor role.',
  });
}

/** Records `choice` on the channel's latest proposal, once; later decisions are refused. */
/** The id of the channel's latest proposal. */
async function latestProposalId(context: CommandContext): Promise<string> {
  const { channel } = context.invocation;
  const sequence = await context.interactions.increment(
    SEQUENCE_SCOPE,
    channelId(channel),
    0,
    SEQUENCE_TTL_SECONDS,
  );
  if (sequence === 0) throw noProposal('There is no proposal in this channel.');
  return proposalId(channel, sequence);
}

/** The latest proposal while it is still open, to check who may apply it before it is decided. */
export async function peekLatestProposal(context: CommandContext): Promise<PendingAction> {
  const peeked = await context.interactions.peekAction(
    await latestProposalId(context),
    context.invocation.channel,
  );
  if (peeked.status === 'unknown')
    throw noProposal('The latest proposal in this channel has expired, or had nothing valid to apply.');
  if (peeked.status === 'already') {
    const verb = peeked.decision.choice === 'confirm' ? 'applied' : 'discarded';
    throw noProposal(`The latest proposal was already ${verb} by ${peeked.decision.by}.`);
  }
  return peeked.action;
}

export async function decideLatestProposal(context: CommandContext, choice: Choice): Promise<PendingAction> {
  const { channel, actor } = context.invocation;
  const id = await latestProposalId(context);
  const decided = await context.interactions.decideAction(id, channel, {
    choice,
    byId: actor.id,
    by: actor.name,
    at: context.now().toISOString(),
  });
  if (decided.status === 'unknown')
    throw noProposal('The latest proposal in this channel has expired, or had nothing valid to apply.');
  if (decided.status === 'already') {
    const verb = decided.decision.choice === 'confirm' ? 'applied' : 'discarded';
    throw noProposal(`The latest proposal was already ${verb} by ${decided.decision.by}.`);
  }
  return decided.action;
}

/** /apply and /discard act on the latest proposal only; a word after them is a mistake to point out. */
export function rejectPositionals(positionals: readonly string[], usage: string): void {
  const [extra] = positionals;
  if (extra !== undefined) {
    throw new AitwsError('USAGE', `Unexpected word "${extra.slice(0, 40)}".`, {
      hint: `Usage: ${usage} (it acts on the latest proposal in this channel).`,
    });
  }
}
