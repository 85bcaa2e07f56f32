/**
 * Output contracts for AI steps (issue #17 point 6): a model's text is accepted only when it is JSON
 * valid against `output.schema` (JSON Schema 2020-12) or matches `output.regex` as a whole.
 *
 * A contract is compiled once and checked many times (every repair attempt, every run). Both halves
 * take patterns from workflow authors, so neither may backtrack: regex contracts and the schema's own
 * `pattern`/`patternProperties` keywords all run on RE2 (src/runtime/safe-regex.ts).
 */
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { AitwsError } from '../../errors.js';
import { compileSafeRegex, RegexError } from '../safe-regex.js';

export type JsonSchemaObject = Readonly<Record<string, unknown>>;

/** As written in a workflow: exactly one of the two. */
export interface OutputContractSpec {
  readonly schema?: JsonSchemaObject;
  readonly regex?: string;
}

export type ContractResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly errors: readonly string[] };

export interface OutputContract {
  readonly kind: 'schema' | 'regex';
  /** What a good answer looks like, for the prompt and for repair messages; deterministic. */
  readonly instruction: string;
  check(text: string): ContractResult;
}

export const CONTRACT_LIMITS = Object.freeze({
  /** Errors reported per check: enough to repair, few enough to fit a prompt. */
  maxErrors: 8,
  maxErrorLength: 200,
  /** Canonical JSON characters of one schema; it is repeated in every repair prompt. */
  maxSchemaLength: 64 * 1024,
  /** Compiled schemas kept for reuse, keyed by canonical JSON. */
  cacheSize: 64,
});

type Validator = ReturnType<InstanceType<typeof Ajv2020.default>['compile']>;
type AjvErrors = NonNullable<Validator['errors']>;

/** Compiles `spec`; throws AitwsError('VALIDATION') naming the problem when it cannot be used. */
export function compileOutputContract(spec: OutputContractSpec): OutputContract {
  const hasSchema = spec.schema !== undefined;
  const hasRegex = spec.regex !== undefined;
  if (hasSchema === hasRegex) {
    throw new AitwsError('VALIDATION', 'An output contract needs exactly one of `schema` or `regex`.', {
      hint: 'Use `output.schema` for JSON answers or `output.regex` for plain-text answers.',
    });
  }
  if (spec.schema !== undefined) return schemaContract(spec.schema);
  return regexContract(spec.regex ?? '');
}

// ---------------------------------------------------------------------------------------------
// JSON Schema

/**
 * ajv's `pattern` keyword would use JavaScript's backtracking RegExp; this routes it through RE2.
 * `code` is only read by ajv's standalone code generation, which is never used here.
 */
const re2Engine = Object.assign((pattern: string) => compileSafeRegex(pattern), { code: 're2js' });

function newAjv(): InstanceType<typeof Ajv2020.default> {
  const ajv = new Ajv2020.default({
    strict: true,
    // Nullable fields (`["string", "null"]`) are the usual way to let a model say "unknown".
    allowUnionTypes: true,
    allErrors: true,
    logger: false,
    code: { regExp: re2Engine },
  });
  addFormats.default(ajv);
  return ajv;
}

// One instance: ajv's compiled keyword and format code is shared between schemas.
const ajv = newAjv();
const compiled = new Map<string, Validator>();

function schemaContract(schema: JsonSchemaObject): OutputContract {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw schemaError('it must be a JSON object');
  }
  const canonical = canonicalJson(schema);
  if (canonical.length > CONTRACT_LIMITS.maxSchemaLength) {
    throw schemaError(`it is longer than ${CONTRACT_LIMITS.maxSchemaLength} characters`);
  }
  const validate = validatorFor(canonical);
  return {
    kind: 'schema',
    instruction: `Answer with only one JSON value, no prose, matching this JSON Schema: ${canonical}`,
    check: (text) => {
      const parsed = extractJson(text);
      if (!parsed.ok) return parsed;
      if (validate(parsed.value)) return { ok: true, value: parsed.value };
      return { ok: false, errors: formatAjvErrors(validate.errors ?? []) };
    },
  };
}

function validatorFor(canonical: string): Validator {
  const cached = compiled.get(canonical);
  if (cached !== undefined) return cached;
  // Compiled from a private copy so later changes to the caller's object cannot diverge from the key.
  const copy: unknown = JSON.parse(canonical);
  let validate: Validator;
  try {
    validate = ajv.compile(copy as object);
  } catch (error) {
    throw schemaError(error instanceof Error ? error.message : String(error), error);
  } finally {
    // ajv keeps every compiled schema (and its $id) in the instance; the closure does not need it,
    // and keeping it would leak memory and refuse a later edit of a schema that keeps its $id.
    ajv.removeSchema(copy as object);
  }
  if (compiled.size >= CONTRACT_LIMITS.cacheSize) {
    const oldest = compiled.keys().next();
    if (oldest.done !== true) compiled.delete(oldest.value);
  }
  compiled.set(canonical, validate);
  return validate;
}

function schemaError(reason: string, cause?: unknown): AitwsError {
  const invalidPattern = cause instanceof RegexError;
  return new AitwsError('VALIDATION', `Invalid output.schema: ${reason}.`, {
    hint: invalidPattern
      ? 'Schema patterns use RE2 syntax: no lookahead, lookbehind or backreferences.'
      : 'Schemas use JSON Schema 2020-12 in strict mode: declare `type` beside type-specific keywords.',
    cause,
  });
}

/** `/email: must match format "email"`; ajv's generic messages get the detail they leave out. */
function formatAjvErrors(errors: AjvErrors): string[] {
  const lines = errors.map((error) => {
    const where = error.instancePath === '' ? '(root)' : error.instancePath;
    let line = `${where}: ${error.message ?? error.keyword}`;
    const params: Record<string, unknown> = error.params;
    if (error.keyword === 'additionalProperties') line += ` (${JSON.stringify(params.additionalProperty)})`;
    if (error.keyword === 'enum') line += ` (${JSON.stringify(params.allowedValues)})`;
    return line;
  });
  return capErrors(lines);
}

export function capErrors(lines: readonly string[]): string[] {
  const { maxErrors, maxErrorLength } = CONTRACT_LIMITS;
  const shown = lines
    .slice(0, maxErrors)
    .map((line) => (line.length > maxErrorLength ? `${line.slice(0, maxErrorLength - 1)}…` : line));
  if (lines.length > maxErrors) shown.push(`… and ${lines.length - maxErrors} more`);
  return shown;
}

// ---------------------------------------------------------------------------------------------
// Extracting JSON from a model's text

/**
 * Accepts the whole text as JSON, or exactly one fenced ```json block in it. Nothing cleverer
 * (first `{`, balanced-brace scans, trailing-comma fixes): a heuristic guesses which of several
 * JSON-looking fragments the model meant and may pick an example from its prose, and a guess that
 * differs between runs breaks replay. An unparseable answer goes to the repair loop instead, which
 * is deterministic and says what was wrong.
 */
export function extractJson(text: string): ContractResult {
  const whole = parseJson(text.trim());
  if (whole.ok) return whole;
  const blocks = fencedJsonBlocks(text);
  if (blocks.length === 1) {
    const parsed = parseJson((blocks[0] ?? '').trim());
    if (parsed.ok) return parsed;
    return { ok: false, errors: [`the \`\`\`json block is not valid JSON: ${parsed.reason}`] };
  }
  if (blocks.length > 1) {
    return {
      ok: false,
      errors: [`the answer has ${blocks.length} \`\`\`json blocks; give exactly one JSON value`],
    };
  }
  return { ok: false, errors: [`the answer is not valid JSON: ${whole.reason}`] };
}

type Parsed =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string };

function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Line-based so it is linear in the text: a line "```json" opens a block, the next "```" closes it. */
function fencedJsonBlocks(text: string): string[] {
  const blocks: string[] = [];
  let open: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    const fence = line.trim();
    if (open === undefined) {
      if (fence.toLowerCase() === '```json') open = [];
    } else if (fence === '```') {
      blocks.push(open.join('\n'));
      open = undefined;
    } else {
      open.push(line);
    }
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Regular expressions

function regexContract(pattern: string): OutputContract {
  let regex: ReturnType<typeof compileSafeRegex>;
  try {
    regex = compileSafeRegex(pattern);
  } catch (error) {
    if (!(error instanceof RegexError)) throw error;
    throw new AitwsError('VALIDATION', `output.regex: ${error.message}`, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      cause: error,
    });
  }
  const shown = JSON.stringify(pattern);
  return {
    kind: 'regex',
    instruction: `Answer with only text that matches this whole regular expression (RE2 syntax): ${shown}`,
    check: (text) => {
      // Surrounding whitespace is dropped: models and providers add a trailing newline at will,
      // and a pattern meant to match it would have to say so in every workflow.
      const answer = text.trim();
      if (regex.matches(answer)) return { ok: true, value: answer };
      return {
        ok: false,
        errors: capErrors([`the whole answer does not match the regular expression ${shown}`]),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** Keys sorted at every level, so equal schemas share one cache entry whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return inner;
    const entries = Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}
