/**
 * zod schemas generated from the section registry, so a field's type, range and requiredness are
 * written once (sections.ts). Every issue message is the field's expectation in words
 * ("an integer from 1 to 65535"), which the validator turns into a finding.
 */
import { z } from 'zod';
import { isDuration } from './duration.js';
import { resolveSectionPath } from './sections.js';
import { isTable } from './tree.js';
import type { FieldSpec, NestedListSpec, SectionSpec } from './types.js';

const SECRET_REFERENCE = /^\$\{secret:[A-Za-z0-9_.-]+\}$/;
/** `scheme://…`, scp-style git remotes (`git@host:org/repo.git`), or a whole-URL secret reference. */
const URL_SHAPE = /^(?:[a-z][a-z0-9+.-]*:\/\/\S+|[\w.-]+@[\w.-]+:\S+)$/i;

export function isUrlLike(value: string): boolean {
  return URL_SHAPE.test(value) || SECRET_REFERENCE.test(value);
}

function range(field: FieldSpec): string {
  if (field.min !== undefined && field.max !== undefined) return ` from ${field.min} to ${field.max}`;
  if (field.min !== undefined) return field.min === 0 ? ' (0 or more)' : ` of at least ${field.min}`;
  if (field.max !== undefined) return ` of at most ${field.max}`;
  return '';
}

/** The field's expectation in words, used as the zod error message and shown by the validator. */
export function describeExpected(field: FieldSpec): string {
  switch (field.type) {
    case 'string':
      return field.required === true ? 'a non-empty string' : 'a string';
    case 'integer':
      return `an integer${range(field)}`;
    case 'number':
      return `a number${range(field)}`;
    case 'boolean':
      return 'true or false';
    case 'string[]':
      return 'a list of strings, e.g. ["a", "b"]';
    case 'duration':
      return 'a duration such as "30 days", "5 minutes" or "90s"';
    case 'url':
      return 'a URL such as "https://host/path"';
    case 'table':
      return 'a table, e.g. { key = "value" }';
    case 'table[]':
      return 'a list of tables';
    case 'any':
      return 'any value';
  }
}

function numberSchema(base: z.ZodNumber, field: FieldSpec, error: string): z.ZodNumber {
  let schema = base;
  if (field.min !== undefined) schema = schema.min(field.min, { error });
  if (field.max !== undefined) schema = schema.max(field.max, { error });
  return schema;
}

function fieldSchema(field: FieldSpec, child: NestedListSpec | undefined): z.ZodType {
  const error = describeExpected(field);
  switch (field.type) {
    case 'string':
      return field.required === true ? z.string({ error }).min(1, { error }) : z.string({ error });
    case 'integer':
      return numberSchema(z.int({ error }), field, error);
    case 'number':
      return numberSchema(z.number({ error }), field, error);
    case 'boolean':
      return z.boolean({ error });
    case 'string[]':
      return z.array(z.string({ error }), { error });
    case 'duration':
      return z.string({ error }).refine(isDuration, { error });
    case 'url':
      return z.string({ error }).refine(isUrlLike, { error });
    case 'table':
      return z.custom(isTable, { error });
    case 'table[]':
      return z.array(child === undefined ? z.custom(isTable, { error }) : entrySchema(child), { error });
    case 'any':
      return z.unknown();
  }
}

/**
 * The same rules as `fieldSchema` as a plain predicate. zod's object parsing cost most of a
 * validation, yet nearly every table passes; so tables that pass this are not given to zod, and
 * the ones that fail are, for zod's issues. It must never pass what the schema refuses; refusing
 * more only costs a zod run.
 */
export type Conforms = (value: unknown) => boolean;

function inRange(field: FieldSpec, value: number): boolean {
  return (field.min === undefined || value >= field.min) && (field.max === undefined || value <= field.max);
}

/** Indexed rather than iterated, so a hole in an in-memory list fails as zod sees it: undefined. */
function everyItem(value: unknown, conforms: Conforms): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (!conforms(value[i])) return false;
  return true;
}

const isString: Conforms = (value) => typeof value === 'string';

/** One switch rather than a closure per field: the call stays monomorphic across field types. */
function fieldConforms(field: FieldSpec, entry: Conforms, value: unknown): boolean {
  switch (field.type) {
    case 'string':
      return typeof value === 'string' && (value !== '' || field.required !== true);
    case 'integer':
      return Number.isSafeInteger(value) && inRange(field, Number(value));
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && inRange(field, value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return everyItem(value, isString);
    case 'duration':
      return typeof value === 'string' && isDuration(value);
    case 'url':
      return typeof value === 'string' && isUrlLike(value);
    case 'table':
      return isTable(value);
    case 'table[]':
      return everyItem(value, entry);
    case 'any':
      return true;
  }
}

/** One field's plain check; `entry` checks the items of a list of tables. */
export interface FieldRule {
  readonly field: FieldSpec;
  readonly entry: Conforms;
}

/** Whether the rule accepts the value a table holds for its field (undefined when absent). */
export function ruleAccepts({ field, entry }: FieldRule, value: unknown): boolean {
  return value === undefined ? field.required !== true : fieldConforms(field, entry, value);
}

const rules = new WeakMap<SectionSpec | NestedListSpec, readonly FieldRule[]>();

/** The rules of a spec's fields, in registry order. */
export function fieldRules(spec: SectionSpec | NestedListSpec): readonly FieldRule[] {
  const cached = rules.get(spec);
  if (cached !== undefined) return cached;
  const children = 'children' in spec ? (spec.children ?? []) : [];
  const built = spec.fields.map((field) => {
    const child = children.find((candidate) => candidate.name === field.name);
    // Entries of a nested list follow its own rules; other lists of tables only need tables.
    return { field, entry: child === undefined ? isTable : conformance(child) };
  });
  rules.set(spec, built);
  return built;
}

const conformances = new WeakMap<SectionSpec | NestedListSpec, Conforms>();

/** `conformsTo` for one spec, built once: the validator holds it rather than looking it up per table. */
export function conformance(spec: SectionSpec | NestedListSpec): Conforms {
  const cached = conformances.get(spec);
  if (cached !== undefined) return cached;
  const specRules = fieldRules(spec);
  const conforms: Conforms = (value) => {
    if (!isTable(value)) return false;
    // Indexed: this runs for every table, also before the code is optimised.
    for (let i = 0; i < specRules.length; i++) {
      const rule = specRules[i];
      if (rule !== undefined && !ruleAccepts(rule, value[rule.field.name])) return false;
    }
    return true;
  };
  conformances.set(spec, conforms);
  return conforms;
}

/** Whether `entrySchema(spec)` certainly accepts the value; false means "ask zod". */
export function conformsTo(spec: SectionSpec | NestedListSpec, value: unknown): boolean {
  return conformance(spec)(value);
}

const entrySchemas = new WeakMap<SectionSpec | NestedListSpec, z.ZodType>();

/**
 * One table of a section: a table section itself, one entry of a list, or one nested action.
 * Unknown fields pass through (the validator warns about them separately).
 */
export function entrySchema(spec: SectionSpec | NestedListSpec): z.ZodType {
  const cached = entrySchemas.get(spec);
  if (cached !== undefined) return cached;
  const children = 'children' in spec ? (spec.children ?? []) : [];
  const shape: Record<string, z.ZodType> = {};
  for (const field of spec.fields) {
    const child = children.find((candidate) => candidate.name === field.name);
    const schema = fieldSchema(field, child);
    shape[field.name] = field.required === true ? schema : schema.optional();
  }
  const schema = z.looseObject(shape);
  entrySchemas.set(spec, schema);
  return schema;
}

/** The whole section as it appears in a document: a table, or an array of entry tables. */
export function sectionSchema(path: string): z.ZodType | undefined {
  const resolved = resolveSectionPath(path);
  if (resolved === undefined) return undefined;
  if (resolved.child !== undefined) return z.array(entrySchema(resolved.child));
  const entry = entrySchema(resolved.section);
  return resolved.section.kind === 'table' ? entry : z.array(entry, { error: 'a list of tables' });
}

/** One field's schema, e.g. to check a single `/add` value before merging it. */
export function fieldSchemaOf(path: string, field: string): z.ZodType | undefined {
  const resolved = resolveSectionPath(path);
  const spec = resolved?.child ?? resolved?.section;
  const found = spec?.fields.find((candidate) => candidate.name === field);
  if (spec === undefined || found === undefined) return undefined;
  const children = 'children' in spec ? (spec.children ?? []) : [];
  return fieldSchema(
    found,
    children.find((candidate) => candidate.name === field),
  );
}
