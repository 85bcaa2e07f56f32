import { resolveSectionPath, SECTIONS } from '../../document/sections.js';
import { suggest } from '../../document/suggest.js';
import type { FieldSpec, NestedListSpec, SectionSpec } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { describePrivilege } from '../authorize.js';
import type { Reply, ReplyBlock } from '../reply.js';
import { privateAnswer } from '../reply.js';
import type { CommandDefinition } from '../types.js';

const GROUP_TITLES: Record<CommandDefinition['group'], string> = {
  draft: 'Edit the draft',
  files: 'Files and the workspace library',
  history: 'History',
  runs: 'Run workflows',
  access: 'Access, review and audit',
  help: 'Help',
};

function describeField(field: FieldSpec): string {
  const parts = [
    `${field.name} (${field.type}${field.required === true ? ', required' : ''})`,
    field.description,
  ];
  if (field.knownValues !== undefined) parts.push(`one of: ${field.knownValues.join(', ')}`);
  if (field.min !== undefined || field.max !== undefined)
    parts.push(`range ${field.min ?? '…'}–${field.max ?? '…'}`);
  if (field.references !== undefined) parts.push(`names an entry of ${field.references}`);
  return parts.join(' — ');
}

/** The console's own word for leaving; chat has nothing to leave. */
const CONSOLE_EXIT = '/exit — Leave the console (also Ctrl-D)';

function indexBlocks(commands: readonly CommandDefinition[], inConsole: boolean): ReplyBlock[] {
  const blocks: ReplyBlock[] = [];
  for (const group of Object.keys(GROUP_TITLES) as CommandDefinition['group'][]) {
    const items = commands
      .filter((c) => c.group === group)
      .map((c) => `${c.usage} — ${c.summary} (${c.privilege})`);
    if (group === 'help' && inConsole) items.push(CONSOLE_EXIT);
    if (items.length === 0) continue;
    blocks.push({ kind: 'text', text: GROUP_TITLES[group] }, { kind: 'list', items });
  }
  blocks.push({
    kind: 'text',
    text: 'In brackets: the privilege each command needs here (/members shows who holds what). Type /help COMMAND or /help SECTION (e.g. /help roles) for details; /help sections lists the sections.',
  });
  return blocks;
}

function sectionsBlocks(): ReplyBlock[] {
  const line = (kind: 'table' | 'list') =>
    SECTIONS.filter((s) => s.kind === kind)
      .map((s) => s.name)
      .join(', ');
  return [
    {
      kind: 'fields',
      fields: [
        { label: 'Tables (one each)', value: line('table') },
        { label: 'Lists (keyed entries)', value: `${line('list')}, stages.actions` },
      ],
    },
    { kind: 'text', text: 'Sections starting with x_ are extensions and are kept as they are.' },
  ];
}

function commandHelp(command: CommandDefinition): Reply {
  return privateAnswer(command.usage, {
    blocks: [
      { kind: 'text', text: command.description },
      { kind: 'text', text: `Needs: ${describePrivilege(command)}.` },
      { kind: 'text', text: 'Examples:' },
      { kind: 'code', language: 'text', code: command.examples.join('\n') },
    ],
  });
}

function sectionHelp(name: string, resolved: { section: SectionSpec; child?: NestedListSpec }): Reply {
  const spec = resolved.child ?? resolved.section;
  const kind =
    resolved.child !== undefined
      ? `nested list: entries keyed by ${resolved.child.key}, chosen stage given with ${resolved.child.parentParam}=`
      : resolved.section.kind === 'table'
        ? 'table: one per document'
        : `list: entries keyed by ${resolved.section.key ?? 'name'}`;
  return privateAnswer(`${name} (${kind})`, {
    blocks: [
      { kind: 'text', text: spec.description },
      { kind: 'list', items: spec.fields.map(describeField) },
      { kind: 'text', text: 'Example:' },
      { kind: 'code', language: 'text', code: spec.example },
    ],
  });
}

export function createHelpCommand(commands: () => readonly CommandDefinition[]): CommandDefinition {
  return {
    name: 'help',
    group: 'help',
    privilege: 'read',
    summary: 'List commands, or explain a command or a section',
    usage: '/help [COMMAND | SECTION]',
    description:
      'Without a topic lists every command. With a command name shows its usage and examples; with a section name shows its fields and an example.',
    accepts: { params: [], words: 1 },
    examples: ['/help', '/help add', '/help roles', '/help stages.actions'],
    async run(context) {
      const [topic] = context.command.positionals;
      const all = commands();
      if (topic === undefined) {
        return privateAnswer('aitws builds AI workflows (aiTWS) in this channel. Commands:', {
          blocks: indexBlocks(all, context.invocation.channel.platform === 'console'),
        });
      }
      const name = topic.replace(/^\//, '').toLowerCase();
      if (name === 'sections')
        return privateAnswer('Sections of an aiTWS document:', { blocks: sectionsBlocks() });
      const command = all.find((c) => c.name === name);
      if (command !== undefined) return commandHelp(command);
      const resolved = resolveSectionPath(name);
      if (resolved !== undefined) return sectionHelp(name, resolved);
      const guess = suggest(name, [...all.map((c) => c.name), ...SECTIONS.map((s) => s.name), 'sections']);
      throw new AitwsError('USAGE', `No help topic "${topic}".`, {
        hint: guess === undefined ? 'Type /help to list the commands.' : `Did you mean /help ${guess}?`,
      });
    },
  };
}
