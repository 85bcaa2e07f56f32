/**
 * The section registry: the single source of truth for what an aiTWS document may contain.
 * /help, validation, the zod schemas (schema.ts), canonical field order (toml.ts) and the AI
 * assistant all read it, so a field added here is documented, checked and ordered everywhere.
 *
 * The order of SECTIONS is the canonical order of a saved document: metadata first, then the
 * order of the original sample, then the sections the spec's chat examples add.
 */
import { FLOW_SECTIONS } from './sections-flow.js';
import { SETUP_SECTIONS } from './sections-setup.js';
import type { NestedListSpec, SectionSpec } from './types.js';

export { BUILTIN_ACTION_TYPES } from './sections-flow.js';

export const SECTIONS: readonly SectionSpec[] = [...SETUP_SECTIONS, ...FLOW_SECTIONS];

const BY_NAME: ReadonlyMap<string, SectionSpec> = new Map(SECTIONS.map((section) => [section.name, section]));

/** Lists whose entries carry free-form configuration: unknown fields there are expected, not typos. */
const OPEN_LISTS: ReadonlySet<string> = new Set(['stages.actions']);

export function getSection(sectionName: string): SectionSpec | undefined {
  return BY_NAME.get(sectionName);
}

export function sectionNames(): string[] {
  return SECTIONS.map((section) => section.name);
}

export function getNestedList(section: string, child: string): NestedListSpec | undefined {
  return getSection(section)?.children?.find((spec) => spec.name === child);
}

/** `roles` or `stages.actions`. */
export function resolveSectionPath(
  path: string,
): { section: SectionSpec; child?: NestedListSpec } | undefined {
  const [top = '', nested, ...rest] = path.split('.');
  if (rest.length > 0) return undefined;
  const section = getSection(top);
  if (section === undefined) return undefined;
  if (nested === undefined) return { section };
  const child = getNestedList(top, nested);
  return child === undefined ? undefined : { section, child };
}

/** Whether unknown fields in this list are free-form configuration rather than likely typos. */
export function acceptsExtraFields(path: string): boolean {
  return OPEN_LISTS.has(path);
}
