/**
 * The line history keeps for a change: the command as typed, unless a value in it is a secret.
 * Then the line is rebuilt from the parsed values with the secrets masked, because the source text
 * can hide a secret from a text pattern (`'''…'''`, `\u0040` for the `@` of a URL password) that
 * the parsed value no longer hides.
 */
import { maskDocument, maskSecrets } from '../document/index.js';
import type { TomlTable, TomlValue } from '../document/types.js';
import { parseCommandLine } from './grammar/index.js';
import type { ParsedCommand } from './types.js';

function paramsTable(command: ParsedCommand): TomlTable {
  const table: TomlTable = Object.create(null);
  for (const { key, value } of command.params) table[key] = value;
  return table;
}

/** Equal as JSON: masking returns copies, so identity says nothing. */
function same(a: TomlValue | undefined, b: TomlValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function rebuilt(command: ParsedCommand, masked: TomlTable): string {
  const params = command.params.map(({ key }) => `${key}=${JSON.stringify(masked[key])}`);
  return [`/${command.name}`, ...command.positionals, ...params].join(' ');
}

function parsed(text: string): ParsedCommand | undefined {
  try {
    return parseCommandLine(text);
  } catch {
    return undefined;
  }
}

/** `command` is what `text` parsed to, when the caller has it already (the dispatcher does). */
export function historyLine(text: string, command = parsed(text)): string {
  // Not a command line (free text, a proposal's summary): the text patterns are all there is.
  if (command === undefined) return maskSecrets(text);
  const params = paramsTable(command);
  // Masked as an extension section would be: secret-looking keys whole, credentials in any string.
  const masked = maskDocument({ x_params: params }).x_params;
  if (masked === undefined || typeof masked !== 'object' || Array.isArray(masked) || masked instanceof Date)
    return maskSecrets(text);
  const secret = command.params.some(({ key }) => !same(params[key], masked[key]));
  return secret ? rebuilt(command, masked) : maskSecrets(text);
}
