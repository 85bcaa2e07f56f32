/**
 * Reading the model's answer: plain text, or a `propose_commands` call whose input is parsed with
 * zod like any other input from outside. A cut-off or malformed proposal is refused whole: half a
 * list of changes is never offered.
 */
import { z } from 'zod';
import { AitwsError } from '../errors.js';
import { MAX_PROPOSED_COMMANDS, PROPOSE_TOOL } from './prompt.js';
import type { ModelResponse } from './provider.js';

/** Same as the command-line limit people get, so a proposal cannot smuggle in a longer line. */
const MAX_COMMAND_CHARS = 16 * 1024;
const MAX_EXPLANATION_CHARS = 4000;

const proposalInput = z.object({
  commands: z.array(z.string().trim().min(1).max(MAX_COMMAND_CHARS)).min(1).max(MAX_PROPOSED_COMMANDS),
  explanation: z.string().trim().max(MAX_EXPLANATION_CHARS),
});

export type Interpretation =
  | { readonly kind: 'answer'; readonly text: string; readonly truncated: boolean }
  | {
      readonly kind: 'proposal';
      readonly commands: readonly string[];
      readonly explanation: string;
      /** Text the model wrote besides the tool call, if any. */
      readonly text: string;
    };

function badAnswer(message: string, hint: string, details: readonly string[] = []): AitwsError {
  return new AitwsError('ASSISTANT_BAD_ANSWER', message, { hint, details, retryable: true });
}

/** One call of the proposal tool, checked: anything else the model sends proposes nothing. */
function proposalOf(call: { readonly name: string; readonly input: unknown }): z.infer<typeof proposalInput> {
  if (call.name !== PROPOSE_TOOL) {
    throw badAnswer(
      `The assistant called a tool it does not have ("${call.name.slice(0, 40)}"), so nothing was proposed.`,
      'Try again. Nothing was changed.',
    );
  }
  const parsed = proposalInput.safeParse(call.input);
  if (!parsed.success) {
    throw badAnswer(
      "The assistant's proposal was malformed, so nothing was proposed.",
      'Try again, or ask for fewer changes at once. Nothing was changed.',
      parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

export function interpret(response: ModelResponse): Interpretation {
  const text = response.content
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join('\n')
    .trim();
  const calls = response.content.flatMap((block) => (block.type === 'tool_use' ? [block] : []));
  if (response.stopReason === 'max_tokens') {
    if (calls.length > 0 || text === '') {
      throw badAnswer(
        "The assistant's answer was cut off at its length limit, so nothing was proposed.",
        'Ask for fewer changes at a time. Nothing was changed.',
      );
    }
    return { kind: 'answer', text, truncated: true };
  }
  if (response.stopReason === 'refusal') {
    throw badAnswer('The assistant declined to answer that.', 'Rephrase the question, or see /help.');
  }
  if (calls.length === 0) {
    if (text === '')
      throw badAnswer('The assistant gave an empty answer.', 'Try again, or rephrase the question.');
    return { kind: 'answer', text, truncated: false };
  }
  const proposals = calls.map(proposalOf);
  const commands = proposals.flatMap((proposal) => proposal.commands);
  const explanations = proposals.map((proposal) => proposal.explanation).filter((line) => line !== '');
  if (commands.length > MAX_PROPOSED_COMMANDS) {
    throw badAnswer(
      `The assistant proposed ${commands.length} commands; at most ${MAX_PROPOSED_COMMANDS} can be reviewed at once.`,
      'Ask for a smaller change. Nothing was changed.',
    );
  }
  return { kind: 'proposal', commands, explanation: explanations.join(' '), text };
}
