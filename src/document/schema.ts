/**
 * zod schemas generated from the section registry, so a field's type, range and requiredness are
 * written once (sections.ts). Every issue message is the field's expectation in words
 * ("an integer from 1 to 65535"), which the validator turns into a finding.
 */
import { z } from 'zod';
import { isDuration } from './duration.js';
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
