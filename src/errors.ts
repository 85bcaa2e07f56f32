/**
 * Domain errors. Each carries a stable `code` (never branch on message text), a message that is
 * safe to show a chat user, an optional hint saying how to fix it, and whether retrying may help.
 * They are turned into replies in exactly one place (src/commands/render-error.ts).
 */
export type ErrorCode =
  | 'USAGE'
  | 'PARSE'
  | 'UNKNOWN_COMMAND'
  | 'UNKNOWN_SECTION'
  | 'UNKNOWN_ENTRY'
  | 'UNKNOWN_FIELD'
  | 'VALIDATION'
  | 'TOML_SYNTAX'
  | 'LIMIT'
  | 'NO_DRAFT'
  | 'DRAFT_EXISTS'
  | 'PATH_FORBIDDEN'
  | 'FILE_NOT_FOUND'
  | 'FILE_IO'
  | 'NOT_AVAILABLE'
  | 'NOTHING_TO_UNDO'
  | 'NOTHING_TO_REDO'
  | 'ALREADY_EXISTS'
  | 'VERSION_NOT_FOUND'
  | 'CONFLICT'
  | 'STORAGE_UNAVAILABLE'
  | 'CONFIG'
  | 'RATE_LIMITED'
  | 'BUDGET_EXHAUSTED'
  | 'ASSISTANT_UNAVAILABLE'
  | 'ASSISTANT_BAD_ANSWER'
  | 'NO_PROPOSAL'
  | 'PROPOSAL_STALE'
  | 'FORBIDDEN'
  | 'UNKNOWN_ROLE'
  | 'UNKNOWN_USER'
  | 'NO_REVIEW'
  | 'REVIEW_CLOSED'
  // The runtime's: a run that cannot start, a step that failed and why.
  | 'PREFLIGHT'
  | 'NOT_APPROVED'
  | 'NOT_VERIFIED'
  | 'NO_RUN'
  | 'RUN_FINISHED'
  | 'PARAMETER'
  | 'SECRET_MISSING'
  | 'ACTION_FAILED'
  | 'ACTION_TIMEOUT'
  | 'OUTPUT_TOO_LARGE'
  | 'CANCELLED'
  | 'TIMED_OUT'
  | 'HTTP_STATUS'
  | 'HTTP_FAILED'
  | 'HTTP_REDIRECT_REFUSED'
  | 'HTTP_RESPONSE_TOO_LARGE'
  | 'APPROVAL_REJECTED'
  | 'APPROVAL_TIMEOUT'
  | 'WAIT_TIMEOUT'
  | 'AI_UNAVAILABLE'
  | 'AI_OUTPUT_INVALID'
  | 'AI_SAFETY'
  | 'AI_REPLAY_MISSING'
  | 'PLUGIN'
  | 'PLUGIN_OUTPUT'
  | 'WEBHOOK';

export interface Finding {
  /** `roles[DataScientist].privileges`, `communication.port`, `nonsense` */
  readonly path: string;
  readonly message: string;
  readonly expected?: string;
  readonly suggestion?: string;
  readonly code: string;
}

export class AitwsError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly details: readonly string[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; retryable?: boolean; details?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AitwsError';
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? [];
  }
}

/** A document (or a change to one) that fails validation: carries every error finding. */
export class ValidationError extends AitwsError {
  readonly findings: readonly Finding[];
  readonly warnings: readonly Finding[];
  constructor(findings: readonly Finding[], warnings: readonly Finding[] = [], message?: string) {
    super('VALIDATION', message ?? validationHeadline(findings), {
      details: findings.map(formatFinding),
    });
    this.findings = findings;
    this.warnings = warnings;
  }
}

export class TomlSyntaxError extends AitwsError {
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly excerpt: string | undefined;
  constructor(message: string, position: { line?: number; column?: number; excerpt?: string } = {}) {
    super('TOML_SYNTAX', message, position.excerpt === undefined ? {} : { details: [position.excerpt] });
    this.line = position.line;
    this.column = position.column;
    this.excerpt = position.excerpt;
  }
}

export class LimitError extends AitwsError {
  constructor(message: string, hint?: string) {
    super('LIMIT', message, hint === undefined ? {} : { hint });
  }
}

export class StorageUnavailableError extends AitwsError {
  constructor(
    message = 'Storage is unavailable right now; nothing was changed. Try again in a moment.',
    cause?: unknown,
  ) {
    super('STORAGE_UNAVAILABLE', message, { retryable: true, cause });
  }
}

export class ConflictError extends AitwsError {
  constructor(message = 'Too many concurrent changes to this channel; nothing was changed. Try again.') {
    super('CONFLICT', message, { retryable: true });
  }
}

function validationHeadline(findings: readonly Finding[]): string {
  const [first] = findings;
  if (findings.length === 1 && first !== undefined) return formatFinding(first);
  return `${findings.length} validation errors; nothing was changed.`;
}

export function formatFinding(finding: Finding): string {
  let text = `${finding.path}: ${finding.message}`;
  if (finding.expected !== undefined) text += ` (expected ${finding.expected})`;
  if (finding.suggestion !== undefined) text += ` — did you mean "${finding.suggestion}"?`;
  return text;
}
