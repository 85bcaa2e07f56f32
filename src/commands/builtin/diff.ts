import { createTwoFilesPatch } from 'diff';
import { maskDocument, stringifyDocument } from '../../document/index.js';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { privateAnswer } from '../reply.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { parseVersionWord, rejectUnknownParams } from './params.js';

function render(document: AitwsDocument | null): string {
  return document === null ? '' : stringifyDocument(maskDocument(document));
}

async function documentAt(
  context: CommandContext,
  version: number,
  current: number,
): Promise<AitwsDocument | null> {
  if (version === 0) return null;
  const entry = await context.drafts.historyEntry(context.invocation.channel, version);
  if (entry === null) {
    throw new AitwsError(
      'VERSION_NOT_FOUND',
      `v${version} is not in this channel's history (current: v${current}).`,
      {
        hint: 'Type /history to see the versions kept.',
      },
    );
  }
  return entry.document;
}

export const diffCommand: CommandDefinition = {
  name: 'diff',
  group: 'history',
  summary: 'Compare two versions of the draft',
  usage: '/diff [vA] [vB]',
  description:
    'Shows a unified diff of the canonical TOML. With no versions: the previous version against the current one; with one: that version against the current one.',
  examples: ['/diff', '/diff 3', '/diff v3 v5'],
  async run(context) {
    rejectUnknownParams(context.command.params, [], this.usage);
    const words = context.command.positionals;
    if (words.length > 2)
      throw new AitwsError('USAGE', 'Give at most two versions.', { hint: `Usage: ${this.usage}` });
    const current = (await context.drafts.read(context.invocation.channel)).version;
    if (current === 0)
      throw new AitwsError('NO_DRAFT', 'This channel has no versions yet.', { hint: 'Start with /create.' });
    const [first, second] = words.map(parseVersionWord);
    const from = first ?? Math.max(current - 1, 0);
    const to = second ?? current;
    const [before, after] = await Promise.all([
      documentAt(context, from, current),
      documentAt(context, to, current),
    ]);
    const patch = createTwoFilesPatch(`v${from}`, `v${to}`, render(before), render(after), '', '', {
      context: 3,
    });
    // Drop the patch's own header (index line, ---/+++ names): ours says v-numbers instead.
    const lines = patch.split('\n');
    const body = lines
      .slice(lines.findIndex((line) => line.startsWith('+++')) + 1)
      .join('\n')
      .trim();
    if (body.length === 0)
      return privateAnswer(`No differences between v${from} and v${to}.`, { data: { from, to } });
    return privateAnswer(`Changes from v${from} to v${to}:`, {
      blocks: [{ kind: 'code', language: 'diff', code: `--- v${from}\n+++ v${to}\n${body}` }],
      data: { from, to },
    });
  },
};
