/** Typed access to a command's key=value parameters, with errors that say how to fix them. */

import { suggest } from '../../document/suggest.js';
import { AitwsError } from '../../errors.js';
import type { Param } from '../types.js';

export function rejectUnknownParams(
  params: readonly Param[],
  allowed: readonly string[],
  usage: string,
): void {
  for (const param of params) {
    if (!allowed.includes(param.key)) {
      const guess = suggest(param.key, allowed);
      throw new AitwsError('USAGE', `Unknown parameter "${param.key}".`, {
        hint: guess === undefined ? `Usage: ${usage}` : `Did you mean ${guess}=…? Usage: ${usage}`,
      });
    }
  }
}

export function optionalString(params: readonly Param[], key: string): string | undefined {
  const param = params.find((p) => p.key === key);
  if (param === undefined) return undefined;
  if (typeof param.value !== 'string' || param.value.length === 0) {
    throw new AitwsError('USAGE', `${key} must be non-empty text.`, {
      hint: `Write it in quotes: ${key}="…"`,
    });
  }
  return param.value;
}

export function optionalBoolean(params: readonly Param[], key: string): boolean | undefined {
  const param = params.find((p) => p.key === key);
  if (param === undefined) return undefined;
  if (typeof param.value !== 'boolean') {
    throw new AitwsError('USAGE', `${key} must be true or false.`, { hint: `Example: ${key}=true` });
  }
  return param.value;
}

export function optionalPositiveInteger(
  params: readonly Param[],
  key: string,
  max: number,
): number | undefined {
  const param = params.find((p) => p.key === key);
  if (param === undefined) return undefined;
  const value = param.value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new AitwsError('USAGE', `${key} must be a whole number from 1 to ${max}.`, {
      hint: `Example: ${key}=10`,
    });
  }
  return value;
}

export function parseVersionWord(word: string): number {
  const match = /^v?(\d{1,9})$/.exec(word);
  if (match?.[1] === undefined) {
    throw new AitwsError('USAGE', `"${word}" is not a version.`, {
      hint: 'Versions look like 3 or v3; /history lists them.',
    });
  }
  return Number(match[1]);
}
