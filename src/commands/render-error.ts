/**
 * The one place errors become replies. Domain errors show their own user-safe message and hint;
 * anything else is logged with a reference id and answered generically, so internals never leak.
 */
import { randomBytes } from 'node:crypto';
import { maskSecrets } from '../document/redact.js';
import { AitwsError, type ErrorCode, formatFinding, TomlSyntaxError, ValidationError } from '../errors.js';
import type { Logger } from '../logging.js';
import { commandNameOf } from './grammar/index.js';
import type { Reply, ReplyBlock } from './reply.js';
import { failure } from './reply.js';

const MAX_LISTED_FINDINGS = 20;

function blocksFor(error: AitwsError): ReplyBlock[] {
  const blocks: ReplyBlock[] = [];
  if (error instanceof TomlSyntaxError && error.excerpt !== undefined) {
    blocks.push({ kind: 'code', language: 'text', code: error.excerpt });
  } else if (error instanceof ValidationError && error.findings.length > 1) {
    const items = error.findings.slice(0, MAX_LISTED_FINDINGS).map(formatFinding);
    if (error.findings.length > MAX_LISTED_FINDINGS)
      items.push(`…and ${error.findings.length - MAX_LISTED_FINDINGS} more`);
    blocks.push({ kind: 'list', items });
  } else if (!(error instanceof ValidationError) && error.details.length > 0) {
    blocks.push({ kind: 'list', items: error.details.slice(0, MAX_LISTED_FINDINGS) });
  }
  if (error.hint !== undefined) blocks.push({ kind: 'text', text: error.hint });
  return blocks;
}

export function renderError(error: unknown, logger: Logger, context: Record<string, unknown> = {}): Reply {
  if (error instanceof AitwsError) {
    // The reply is written for the channel; operators need the cause (with its file or server).
    if (error.code === 'STORAGE_UNAVAILABLE') logger.warn({ ...context, err: error }, 'storage unavailable');
    return failure(error.message, {
      blocks: blocksFor(error),
      data: { error: { code: error.code, retryable: error.retryable } },
    });
  }
  const reference = randomBytes(4).toString('hex');
  logger.error({ ...context, reference, err: error }, 'unexpected error while handling a command');
  return failure(
    `Something went wrong on our side (reference ${reference}). Nothing was changed; please try again.`,
    {
      data: { error: { code: 'INTERNAL', reference, retryable: true } },
    },
  );
}

/** Mistakes in a command, which the assistant can explain; not outages, limits or the assistant's own errors. */
const CLARIFIABLE: ReadonlySet<ErrorCode> = new Set([
  'VALIDATION',
  'PARSE',
  'USAGE',
  'UNKNOWN_COMMAND',
  'UNKNOWN_SECTION',
  'UNKNOWN_FIELD',
  'UNKNOWN_ENTRY',
  'TOML_SYNTAX',
]);

const NOT_CLARIFIED: ReadonlySet<string> = new Set(['ask', 'apply', 'discard']);

/** A button carries the whole context; a console hint must stay one readable line. */
const QUESTION_PART_CHARS = { full: 1500, short: 160 } as const;

function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * The `/ask …` command that asks the assistant why `commandText` failed with `error`, or undefined
 * when the failure is not a mistake in the command. Credentials in the command are masked here,
 * before the question is stored or shown.
 */
export function clarifyingQuestion(
  error: unknown,
  commandText: string,
  size: keyof typeof QUESTION_PART_CHARS,
): string | undefined {
  if (!(error instanceof AitwsError) || !CLARIFIABLE.has(error.code)) return undefined;
  const name = commandNameOf(commandText);
  if (name === undefined || NOT_CLARIFIED.has(name)) return undefined;
  const problem = [error.message, ...error.details.filter((detail) => detail !== error.message)].join(' ');
  const max = QUESTION_PART_CHARS[size];
  return maskSecrets(
    `/ask Why does this command fail, and how do I fix it? Command: ${clip(commandText, max)} Error: ${clip(problem, max)}`,
  );
}
