/**
 * The aiwg execution-snapshot schema from test/fixtures/, compiled with ajv 8's JSON Schema
 * 2020-12 build and ajv-formats (format assertions on, so `uuid` and `date-time` are checked).
 *
 * The fixture is a schema plus non-schema top-level sections (`replay`, `storage`, `examples`,
 * `references`); the examples do not even validate (`snap-001-example` is no uuid). The fixture
 * stays byte for byte as upstream, so those sections are dropped here, by keeping only the
 * top-level keys that are JSON Schema keywords.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { EXECUTION_SNAPSHOT_SCHEMA } from './paths.js';

const SCHEMA_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$defs',
  '$comment',
  'title',
  'description',
  'type',
  'required',
  'properties',
  'additionalProperties',
  'patternProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'if',
  'then',
  'else',
]);

/** The top-level keys the loader drops; a test pins them so an upstream change is noticed. */
export function nonSchemaSections(document: Record<string, unknown>): string[] {
  return Object.keys(document).filter((key) => !SCHEMA_KEYWORDS.has(key));
}

export function loadSnapshotDocument(): Record<string, unknown> {
  const document: unknown = parse(readFileSync(EXECUTION_SNAPSHOT_SCHEMA, 'utf8'));
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new Error(`${EXECUTION_SNAPSHOT_SCHEMA} is not a YAML mapping`);
  }
  return document as Record<string, unknown>;
}

export function snapshotSchema(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(loadSnapshotDocument()).filter(([key]) => SCHEMA_KEYWORDS.has(key)),
  );
}

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the
// module object, so reach for the function explicitly.
const addFormats = addFormatsModule.default;

let compiled: ValidateFunction | undefined;

/** Strict mode on as well: an unknown keyword left in the schema would throw here. */
export function snapshotValidator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: true });
    addFormats(ajv);
    compiled = ajv.compile(snapshotSchema());
  }
  return compiled;
}

export function snapshotErrors(value: unknown): ErrorObject[] {
  const validate = snapshotValidator();
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
