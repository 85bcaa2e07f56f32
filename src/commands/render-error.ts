/**
 * The one place errors become replies. Domain errors show their own user-safe message and hint;
 * anything else is logged with a reference id and answered generically, so internals never leak.
 */
import { randomBytes } from 'node:crypto';
import { AitwsError, formatFinding, TomlSyntaxError, ValidationError } from '../errors.js';
import type { Logger } from '../logging.js';
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
