/**
 * `aitws run --input k=v`: each value read exactly as the console's `/run k=v` reads it (TOML for
 * quoted and bracketed values, numbers and booleans as such, other bare words as text), so a
 * workflow gets the same inputs from the command line as from chat. The shell has already split
 * the words: a value it kept whole with spaces in it (`--input "title=two words"`) is that text.
 */
import { parseCommandLine } from '../commands/grammar/index.js';
import { inert } from '../document/inert-text.js';
import type { TomlValue } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { JsonObject } from '../runtime/run-store.js';
import { encodeValue } from '../session/codec-values.js';

const HINT = `Write --input dataset=iris, --input epochs=3 or --input 'tags=["a", "b"]'.`;

function inputValue(key: string, raw: string): TomlValue {
  if (/\s/.test(raw) && !/^["'[{]/.test(raw)) return raw;
  const command = parseCommandLine(`run ${key}=${raw}`);
  const [param] = command.params;
  if (param === undefined || command.params.length !== 1 || command.positionals.length > 0)
    throw new AitwsError('USAGE', `--input ${inert(key)}=…: the value is not one value.`, { hint: HINT });
  return param.value;
}

export function parseInputs(args: readonly string[]): JsonObject {
  const inputs: JsonObject = {};
  for (const arg of args) {
    const equals = arg.indexOf('=');
    const key = arg.slice(0, Math.max(equals, 0)).trim();
    if (equals < 1 || key === '')
      throw new AitwsError('USAGE', `--input ${inert(arg.slice(0, 60))} is not key=value.`, { hint: HINT });
    if (Object.hasOwn(inputs, key))
      throw new AitwsError('USAGE', `--input ${inert(key)} is given twice.`, {
        hint: `Give it once; several values go in an array: --input '${inert(key)}=["a", "b"]'.`,
      });
    inputs[key] = encodeValue(inputValue(key, arg.slice(equals + 1).trim()));
  }
  return inputs;
}
