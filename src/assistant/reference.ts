/**
 * The assistant's reference: every section with its fields, types, known values and example, and
 * every command with its usage and examples, generated from the same registries /help reads. It
 * is static for a given build, so it is sent as a cached system block, and the offline mode
 * searches the same entries.
 */
import { SECTIONS } from '../document/sections.js';
import { SECRET_REF } from '../document/sections-setup.js';
import type { FieldSpec, NestedListSpec, SectionSpec } from '../document/types.js';

/** What the assistant needs of a command definition (src/commands/types.ts satisfies it). */
export interface CommandHelp {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly description: string;
  readonly examples: readonly string[];
}

export interface ReferenceEntry {
  readonly kind: 'command' | 'section';
  /** `/add`, `roles`, `stages.actions`. */
  readonly title: string;
  /** The entry as written in the reference. */
  readonly text: string;
  /** Names a search should weigh highest: the entry's own name and its field names. */
  readonly names: readonly string[];
}

/** One field of a section, for an answer about that field alone (offline /ask). */
export interface FieldEntry extends ReferenceEntry {
  /** The section or nested list it belongs to: `change_management`, `stages.actions`. */
  readonly section: string;
  /** The field's own name: `review_required`. */
  readonly field: string;
}

export interface Reference {
  readonly text: string;
  readonly entries: readonly ReferenceEntry[];
  /** Every field of every section; not part of `text`, which already lists them under their section. */
  readonly fields: readonly FieldEntry[];
}

const RULES = `## Command language
A command is \`/command [SECTION] key=value key=value ...\`. A value is any TOML value: "text", 'literal', 12, 3.5, true, ["a", "b"], {k = "v"}, or a bare word (priority=high is text). Escaping is TOML's. Positional words come before key=value pairs.

## Document rules
- Table sections hold one table per document; /add sets or merges the given fields; /remove SECTION drops the table, /remove SECTION FIELD one field.
- List sections hold entries keyed by name (authorization by role); /add adds the entry with that key or changes the existing one field by field; /remove SECTION name="X" drops one entry, /remove SECTION the whole list.
- Nested stage actions: /add stages.actions stage="STAGE" name="ACTION" type="ai.invoke" ...
- Unknown sections and fields load with a warning and are kept; /add on an unknown section is an error unless its name starts with x_ (an extension).
- Durations are strings such as "30 days", "5 minutes", "90s".
- References between sections (a repository's access_role names a role, a trigger names an event and a handler, ...) are warnings in a draft and errors when a run starts.
- Secrets: never write a password into the document. Write a reference \${secret:NAME} instead (e.g. url = "postgres://etl:\${secret:DB_PASSWORD}@db:5432/app"); the runtime resolves it from the key store.
- Values outside a field's known values are warnings; wrong types and out-of-range values are errors.`;

/** `(boolean, required): what it does; known values: …; e.g. …`: a field without its name. */
function fieldDetails(field: FieldSpec): string {
  const description = field.description.replace(/\.$/, '');
  const parts = [`(${field.type}${field.required === true ? ', required' : ''}): ${description}`];
  if (field.knownValues !== undefined) parts.push(`known values: ${field.knownValues.join(', ')}`);
  if (field.min !== undefined || field.max !== undefined)
    parts.push(`range ${field.min ?? '…'} to ${field.max ?? '…'}`);
  if (field.references !== undefined) parts.push(`names an entry of ${field.references}`);
  if (field.secret === true) parts.push(`a secret: write ${SECRET_REF}`);
  if (field.example !== undefined) parts.push(`e.g. ${field.example}`);
  return parts.join('; ');
}

function describeField(field: FieldSpec): string {
  return `- ${field.name} ${fieldDetails(field)}`;
}

function sectionKind(spec: SectionSpec): string {
  return spec.kind === 'table' ? 'table, one per document' : `list, entries keyed by ${spec.key ?? 'name'}`;
}

function sectionEntry(spec: SectionSpec): ReferenceEntry {
  const lines = [
    `### ${spec.name} (${sectionKind(spec)})`,
    spec.description,
    ...spec.fields.map(describeField),
  ];
  if (spec.children !== undefined && spec.children.length > 0)
    lines.push(`Nested lists: ${spec.children.map((child) => `${spec.name}.${child.name}`).join(', ')}`);
  lines.push(`Example: ${spec.example}`);
  return {
    kind: 'section',
    title: spec.name,
    text: lines.join('\n'),
    names: [spec.name, ...spec.fields.map((field) => field.name)],
  };
}

function childEntry(parent: SectionSpec, child: NestedListSpec): ReferenceEntry {
  const title = `${parent.name}.${child.name}`;
  const lines = [
    `### ${title} (nested list in ${parent.name}, entries keyed by ${child.key}; choose the ${parent.name} entry with ${child.parentParam}="…")`,
    child.description,
    ...child.fields.map(describeField),
    `Example: ${child.example}`,
  ];
  return {
    kind: 'section',
    title,
    text: lines.join('\n'),
    names: [title, child.name, ...child.fields.map((field) => field.name)],
  };
}

/** The field's line, then what it belongs to and an example, so the entry reads on its own. */
function fieldEntry(section: string, heading: string, example: string, field: FieldSpec): FieldEntry {
  const title = `${section}.${field.name}`;
  return {
    kind: 'section',
    title,
    text: [`${title} ${fieldDetails(field)}`, `In ${heading}`, `Example: ${example}`].join('\n'),
    names: [title, field.name],
    section,
    field: field.name,
  };
}

function sectionFields(spec: SectionSpec): FieldEntry[] {
  const heading = `${spec.name} (${sectionKind(spec)}): ${spec.description}`;
  const own = spec.fields.map((field) => fieldEntry(spec.name, heading, spec.example, field));
  const nested = (spec.children ?? []).flatMap((child) => {
    const title = `${spec.name}.${child.name}`;
    const childHeading = `${title} (nested list in ${spec.name}, entries keyed by ${child.key}): ${child.description}`;
    return child.fields.map((field) => fieldEntry(title, childHeading, child.example, field));
  });
  return [...own, ...nested];
}

function commandEntry(command: CommandHelp): ReferenceEntry {
  const lines = [
    `### /${command.name}`,
    `Usage: ${command.usage}`,
    `${command.summary}. ${command.description}`,
    `Examples: ${command.examples.join('  |  ')}`,
  ];
  return { kind: 'command', title: `/${command.name}`, text: lines.join('\n'), names: [command.name] };
}

function build(commands: readonly CommandHelp[]): Reference {
  const commandEntries = commands.map(commandEntry);
  const sectionEntries = SECTIONS.flatMap((spec) => [
    sectionEntry(spec),
    ...(spec.children ?? []).map((child) => childEntry(spec, child)),
  ]);
  const text = [
    '# aiTWS reference (AI-TOML Workflow Specification, as this bot implements it)',
    RULES,
    '## Commands',
    ...commandEntries.map((entry) => entry.text),
    '## Sections',
    ...sectionEntries.map((entry) => entry.text),
  ].join('\n\n');
  return { text, entries: [...commandEntries, ...sectionEntries], fields: SECTIONS.flatMap(sectionFields) };
}

const cache = new WeakMap<readonly CommandHelp[], Reference>();

/** Built once per command list: the same bytes every time, which is what lets the prompt cache hit. */
export function buildReference(commands: readonly CommandHelp[]): Reference {
  let reference = cache.get(commands);
  if (reference === undefined) {
    reference = build(commands);
    cache.set(commands, reference);
  }
  return reference;
}
