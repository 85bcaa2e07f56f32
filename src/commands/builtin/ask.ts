import { type AskResult, createAssistant } from '../../assistant/assistant.js';
import type { ReferenceEntry } from '../../assistant/reference.js';
import type { SessionRecord } from '../../session/port.js';
import { nextProposalId, simulate } from '../batch.js';
import { buttonId, storeAction } from '../buttons.js';
import type { Reply, ReplyBlock } from '../reply.js';
import { failure, privateAnswer, success } from '../reply.js';
import type { CommandContext, CommandDefinition } from '../types.js';

function offlineReply(matches: readonly ReferenceEntry[]): Reply {
  const headline =
    'The assistant is offline (no ANTHROPIC_API_KEY is configured), so this answer is a keyword search of the built-in reference.';
  if (matches.length === 0) {
    return privateAnswer(headline, {
      blocks: [
        { kind: 'text', text: 'Nothing in the reference matches those words. Try /help or /help sections.' },
      ],
      data: { offline: true, matches: [] },
    });
  }
  return privateAnswer(headline, {
    blocks: matches.map(
      (entry): ReplyBlock => ({ kind: 'code', language: 'text', code: entry.text.replace(/^### /, '') }),
    ),
    data: { offline: true, matches: matches.map((entry) => entry.title) },
  });
}

interface Proposed {
  readonly commands: readonly string[];
  readonly explanation: string;
  readonly text: string;
}

/** The proposal's commands that fail against the draft, for a "left out" note. */
function leftOutBlocks(invalid: readonly string[], version: number): ReplyBlock[] {
  if (invalid.length === 0) return [];
  return [
    { kind: 'text', text: `Left out, because they fail against the draft (v${version}):` },
    { kind: 'list', items: invalid },
  ];
}

function nothingValid(id: string, invalid: readonly string[], version: number): Reply {
  return failure(
    'The assistant proposed changes, but none of its commands is valid, so there is nothing to apply.',
    {
      blocks: [
        ...leftOutBlocks(invalid, version),
        { kind: 'text', text: 'Rephrase the request, or see /help for the exact syntax.' },
      ],
      data: { proposal: { id, commands: [], dropped: invalid, version } },
    },
  );
}

async function proposalReply(
  context: CommandContext,
  record: SessionRecord,
  proposed: Proposed,
  definitions: readonly CommandDefinition[],
): Promise<Reply> {
  const simulation = await simulate(context, record.document, proposed.commands, definitions);
  const valid = simulation.steps.filter((step) => step.error === undefined).map((step) => step.command);
  const invalid = simulation.steps.flatMap((step) =>
    step.error === undefined ? [] : [`${step.command} — ${step.error}`],
  );
  // Numbered even when nothing is valid, so /apply cannot reach back to an older proposal.
  const id = await nextProposalId(context.interactions, context.invocation.channel);
  if (valid.length === 0) return nothingValid(id, invalid, record.version);
  await storeAction(context.interactions, context.invocation, context.now(), {
    id,
    commands: valid,
    summary: `${valid.length} command${valid.length === 1 ? '' : 's'} proposed by the assistant`,
    kind: 'batch',
  });
  const buttons = context.invocation.supportsButtons === true;
  const next = buttons
    ? 'Nothing changes until someone applies it; /undo reverts it in one step.'
    : 'Nothing changes until someone applies it: /apply applies it as one change (/undo reverts it), /discard drops it.';
  return success(proposed.explanation || proposed.text || 'The assistant proposes:', {
    blocks: [
      { kind: 'code', language: 'text', code: valid.join('\n') },
      ...leftOutBlocks(invalid, record.version),
      { kind: 'text', text: next },
    ],
    buttons: buttons
      ? [
          { id: buttonId(id, 'confirm'), label: 'Apply', style: 'primary' },
          { id: buttonId(id, 'cancel'), label: 'Discard' },
        ]
      : [],
    data: { proposal: { id, commands: valid, dropped: invalid, version: record.version } },
  });
}

function answerReply(result: Extract<AskResult, { kind: 'answer' }>): Reply {
  const cutOff: ReplyBlock = {
    kind: 'text',
    text: '(The answer was cut off at its length limit; ask a narrower question for the rest.)',
  };
  return success(result.text, {
    blocks: result.truncated ? [cutOff] : [],
    data: { answer: result.text, truncated: result.truncated, usage: result.usage, model: result.model },
  });
}

export function createAskCommand(commands: () => readonly CommandDefinition[]): CommandDefinition {
  return {
    name: 'ask',
    group: 'help',
    privilege: 'read',
    rawArgs: true,
    summary: 'Ask the assistant about the spec or the draft, or for a change it proposes',
    usage: '/ask QUESTION',
    description:
      "Everything after /ask is the question, in plain words. The assistant answers from the spec reference and this channel's draft (with credentials masked). When you ask for a change it proposes the exact commands; nothing changes until someone applies them (buttons in chat, /apply or /discard in the console), and /undo reverts an applied proposal in one step.",
    accepts: { params: [], words: 1 },
    examples: [
      '/ask what does change_management.review_required do?',
      '/ask add a read-only auditor role and a repo it can see',
      '/ask why is my draft showing a warning about access_role?',
    ],
    async run(context) {
      const question = context.command.positionals.join(' ').trim();
      const record = await context.drafts.read(context.invocation.channel);
      const assistant =
        context.assistant ?? createAssistant({ provider: undefined, interactions: context.interactions });
      const definitions = commands();
      const result = await assistant.ask({
        question,
        channel: context.invocation.channel,
        actorId: context.invocation.actor.id,
        document: record.document,
        version: record.version,
        commands: definitions,
      });
      switch (result.kind) {
        case 'offline':
          return offlineReply(result.matches);
        case 'answer':
          return answerReply(result);
        case 'proposal':
          return proposalReply(context, record, result, definitions);
      }
    },
  };
}
