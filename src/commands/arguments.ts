/**
 * Every command rejects what it does not take, before it runs: an unknown key=value, or more bare
 * words than it reads (`/undo 24`, `/create My workflow`, `/create name=My workflow`). The answer
 * names the problem and shows the usage line, and the draft is untouched.
 */
import { AitwsError } from '../errors.js';
import { rejectUnknownParams } from './builtin/params.js';
import type { CommandDefinition, Param, ParsedCommand } from './types.js';

/** A value typed without quotes: its raw text is the value itself, so a space ended it early. */
function bareWordParam(params: readonly Param[]): Param | undefined {
  return params.findLast((param) => typeof param.value === 'string' && param.raw === param.value);
}

function takesWords(count: number): string {
  if (count === 0) return 'takes no words';
  return count === 1 ? 'takes one word' : `takes at most ${count} words`;
}

function tooManyWords(definition: CommandDefinition, command: ParsedCommand): AitwsError {
  const extra = command.positionals.slice(definition.accepts.words);
  const usage = `Usage: ${definition.usage}`;
  const bare = bareWordParam(command.params);
  if (bare !== undefined) {
    const whole = [bare.raw, ...extra].join(' ');
    return new AitwsError('USAGE', `A value with spaces needs quotes: ${bare.key}="${whole}".`, {
      hint: usage,
    });
  }
  const { params } = definition.accepts;
  const named = params !== 'fields' && params.includes('name') && definition.accepts.words === 0;
  const hint = named
    ? `Did you mean /${definition.name} name="${command.positionals.join(' ')}"? ${usage}`
    : usage;
  return new AitwsError(
    'USAGE',
    `Unexpected "${extra[0]}": /${definition.name} ${takesWords(definition.accepts.words)}.`,
    {
      hint,
    },
  );
}

export function checkArguments(definition: CommandDefinition, command: ParsedCommand): void {
  const { params, words } = definition.accepts;
  if (params !== 'fields') rejectUnknownParams(command.params, params, definition.usage);
  if (command.positionals.length > words) throw tooManyWords(definition, command);
}
