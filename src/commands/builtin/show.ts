import { sameKey } from '../../document/edit.js';
import { maskDocument, stringifyDocument } from '../../document/index.js';
import { getSection, resolveSectionPath } from '../../document/sections.js';
import { suggest } from '../../document/suggest.js';
import { isTable } from '../../document/tree.js';
import type { AitwsDocument, TomlTable } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { documentTitle, readDraft } from '../draft.js';
import { privateAnswer, type Reply } from '../reply.js';
import type { CommandDefinition } from '../types.js';

const USAGE = '/show [SECTION [NAME]]';

function tables(value: unknown): TomlTable[] {
  return Array.isArray(value) ? value.filter(isTable) : [];
}

function shown(title: string, version: number, part: AitwsDocument, section: string): Reply {
  return privateAnswer(`${title} · v${version}`, {
    blocks: [{ kind: 'code', language: 'toml', code: stringifyDocument(part) }],
    data: { version, section },
  });
}

function missingSection(document: AitwsDocument, name: string): AitwsError {
  const known = getSection(name) !== undefined;
  const guess = suggest(name, Object.keys(document));
  return new AitwsError('UNKNOWN_SECTION', `This draft has no ${name} section.`, {
    hint: known
      ? `Add it with /add ${name} …  (/help ${name} shows its fields)`
      : guess === undefined
        ? 'Type /show to see the whole draft.'
        : `Did you mean "${guess}"?`,
  });
}

function missingEntry(where: string, name: string, names: readonly string[]): AitwsError {
  const guess = suggest(name, names);
  return new AitwsError('UNKNOWN_ENTRY', `${where} has no entry "${name}".`, {
    hint:
      guess === undefined
        ? `It has: ${names.length === 0 ? 'no entries' : names.join(', ')}.`
        : `Did you mean "${guess}"?`,
  });
}

/** `stages.actions [NAME]`: the nested entries, each under the stage it belongs to. */
function nestedPart(masked: AitwsDocument, path: string, name: string | undefined): AitwsDocument {
  const resolved = resolveSectionPath(path);
  const child = resolved?.child;
  if (resolved === undefined || child === undefined) throw missingSection(masked, path);
  const parentKey = resolved.section.key ?? 'name';
  const parents = tables(masked[resolved.section.name]).map((parent) => {
    const entries = tables(parent[child.name]);
    const kept = name === undefined ? entries : entries.filter((entry) => sameKey(entry[child.key], name));
    return { [parentKey]: parent[parentKey] ?? '', [child.name]: kept };
  });
  const grouped = parents.filter((parent) => tables(parent[child.name]).length > 0);
  if (name !== undefined && grouped.length === 0) {
    const names = parents.flatMap((parent) =>
      tables(parent[child.name]).map((entry) => String(entry[child.key])),
    );
    throw missingEntry(path, name, names);
  }
  return { [resolved.section.name]: grouped };
}

/** `SECTION NAME`: one entry of a list section. */
function entryPart(masked: AitwsDocument, section: string, name: string): AitwsDocument {
  const spec = getSection(section);
  if (spec?.kind !== 'list') {
    throw new AitwsError('USAGE', `${section} is not a list of entries, so there is no entry to pick.`, {
      hint: `Type /show ${section}.`,
    });
  }
  const keyField = spec.key ?? 'name';
  const entries = tables(masked[section]);
  const entry = entries.find((candidate) => sameKey(candidate[keyField], name));
  if (entry === undefined)
    throw missingEntry(
      section,
      name,
      entries.map((e) => String(e[keyField] ?? '')),
    );
  return { [section]: [entry] };
}

export const showCommand: CommandDefinition = {
  name: 'show',
  group: 'draft',
  privilege: 'read',
  summary: 'Show the draft, a section, or one entry, as TOML',
  usage: USAGE,
  description:
    'Prints the channel draft as canonical TOML, credentials masked. /show roles shows a section; /show roles Developer one entry; /show stages.actions every action, grouped by stage (/show stages.actions Train one of them).',
  accepts: { params: [], words: 2 },
  examples: ['/show', '/show roles', '/show roles DataScientist', '/show stages.actions'],
  async run(context) {
    const [sectionName, entryName] = context.command.positionals;
    const { record, document } = await readDraft(context);
    const masked = maskDocument(document);
    if (sectionName === undefined) {
      return shown(`Draft "${documentTitle(document)}"`, record.version, masked, '');
    }
    if (sectionName.includes('.')) {
      const part = nestedPart(masked, sectionName, entryName);
      const title = entryName === undefined ? sectionName : `${sectionName}[${entryName}]`;
      return shown(title, record.version, part, sectionName);
    }
    if (masked[sectionName] === undefined) throw missingSection(document, sectionName);
    if (entryName !== undefined) {
      const part = entryPart(masked, sectionName, entryName);
      return shown(`${sectionName}[${entryName}]`, record.version, part, sectionName);
    }
    return shown(sectionName, record.version, { [sectionName]: masked[sectionName] }, sectionName);
  },
};
