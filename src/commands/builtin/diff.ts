import { isDeepStrictEqual } from 'node:util';
import { formatBytes, maskDocument, sectionNames, stringifyDocument } from '../../document/index.js';
import type { AitwsDocument } from '../../document/types.js';
import { MAX_CHANGED_LINES, versionPatch } from '../../document/version-patch.js';
import { AitwsError } from '../../errors.js';
import type { SessionRecord } from '../../session/port.js';
import { privateAnswer, type Reply, type ReplyAttachment } from '../reply.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { parseVersionWord, rejectUnknownParams } from './params.js';

/** One side of the comparison, masked and rendered once for the patch, the summary and the files. */
interface Side {
  readonly version: number;
  readonly masked: AitwsDocument | null;
  readonly text: string;
}

/** Masking and rendering a document at the size limit take tens of ms each: let other channels in between. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function sideOf(version: number, document: AitwsDocument | null): Promise<Side> {
  if (document === null) return { version, masked: null, text: '' };
  const masked = maskDocument(document);
  await nextTurn();
  const text = stringifyDocument(masked);
  await nextTurn();
  return { version, masked, text };
}

/** The current version comes from the record already read: decoding a big document again costs. */
async function documentAt(
  context: CommandContext,
  version: number,
  current: SessionRecord,
): Promise<AitwsDocument | null> {
  if (version === 0) return null;
  if (version === current.version) return current.document;
  const entry = await context.drafts.historyEntry(context.invocation.channel, version);
  if (entry === null) {
    throw new AitwsError(
      'VERSION_NOT_FOUND',
      `v${version} is not in this channel's history (current: v${current.version}).`,
      {
        hint: 'Type /history to see the versions kept.',
      },
    );
  }
  return entry.document;
}

/** Top-level sections of either side, known ones in registry order, then the others by name. */
function sectionsOf(from: Side, to: Side): string[] {
  const present = new Set([...Object.keys(from.masked ?? {}), ...Object.keys(to.masked ?? {})]);
  const known = sectionNames().filter((name) => present.delete(name));
  return [...known, ...[...present].sort()];
}

/** Each section compared as a value (one linear walk each), so no patch is needed to say which differ. */
async function sectionChanges(from: Side, to: Side): Promise<{ changed: string[]; same: string[] }> {
  const changed: string[] = [];
  const same: string[] = [];
  for (const name of sectionsOf(from, to)) {
    const before = from.masked?.[name];
    const after = to.masked?.[name];
    // A section at the size limit takes milliseconds to compare: other channels go in between.
    await nextTurn();
    if (isDeepStrictEqual(before, after)) same.push(name);
    else if (before === undefined) changed.push(`${name} (only in v${to.version})`);
    else if (after === undefined) changed.push(`${name} (only in v${from.version})`);
    else changed.push(name);
  }
  return { changed, same };
}

function describeSide(side: Side): string {
  if (side.masked === null) return 'empty';
  let lines = 1;
  for (let at = side.text.indexOf('\n'); at !== -1; at = side.text.indexOf('\n', at + 1)) lines++;
  return `${formatBytes(Buffer.byteLength(side.text))}, ${lines} lines`;
}

function attachment(side: Side): ReplyAttachment[] {
  if (side.masked === null) return [];
  return [{ filename: `v${side.version}.toml`, contentType: 'application/toml', content: side.text }];
}

/** Sizes, the sections that differ and both versions as files: what a too-long patch is replaced by. */
async function summary(from: Side, to: Side): Promise<Reply> {
  const { changed, same } = await sectionChanges(from, to);
  return privateAnswer(
    `v${from.version} and v${to.version} differ too much to show as a patch (more than ${MAX_CHANGED_LINES} changed lines, or too long to compute); both versions are attached.`,
    {
      blocks: [
        {
          kind: 'fields',
          fields: [
            { label: `v${from.version}`, value: describeSide(from) },
            { label: `v${to.version}`, value: describeSide(to) },
            { label: 'Sections that differ', value: changed.length === 0 ? 'none' : changed.join(', ') },
            { label: 'Sections the same', value: same.length === 0 ? 'none' : same.join(', ') },
          ],
        },
      ],
      attachments: [...attachment(from), ...attachment(to)],
      data: { from: from.version, to: to.version, summary: true, changedSections: changed },
    },
  );
}

async function versionsAsked(
  context: CommandContext,
  usage: string,
): Promise<[number, number, SessionRecord]> {
  rejectUnknownParams(context.command.params, [], usage);
  const words = context.command.positionals;
  if (words.length > 2)
    throw new AitwsError('USAGE', 'Give at most two versions.', { hint: `Usage: ${usage}` });
  const current = await context.drafts.read(context.invocation.channel);
  if (current.version === 0)
    throw new AitwsError('NO_DRAFT', 'This channel has no versions yet.', { hint: 'Start with /create.' });
  const [first, second] = words.map(parseVersionWord);
  return [first ?? Math.max(current.version - 1, 0), second ?? current.version, current];
}

export const diffCommand: CommandDefinition = {
  name: 'diff',
  group: 'history',
  privilege: 'read',
  summary: 'Compare two versions of the draft',
  usage: '/diff [vA] [vB]',
  description:
    'Shows a unified diff of the canonical TOML. With no versions: the previous version against the current one; with one: that version against the current one. When the versions differ in too many lines, it says which sections differ and attaches both versions instead.',
  accepts: { params: [], words: 2 },
  examples: ['/diff', '/diff 3', '/diff v3 v5'],
  async run(context) {
    const [from, to, current] = await versionsAsked(context, this.usage);
    return compareVersions(context, from, to, current);
  },
};

/** The diff between two versions of the channel's draft (0: no draft), masked, as /diff shows it. */
export async function compareVersions(
  context: CommandContext,
  from: number,
  to: number,
  current: SessionRecord,
): Promise<Reply> {
  const before = await documentAt(context, from, current);
  const after = await documentAt(context, to, current);
  const fromSide = await sideOf(from, before);
  const toSide = await sideOf(to, after);
  const body = versionPatch(fromSide, toSide);
  await nextTurn();
  if (body === undefined) return summary(fromSide, toSide);
  if (body.length === 0)
    return privateAnswer(`No differences between v${from} and v${to}.`, { data: { from, to } });
  return privateAnswer(`Changes from v${from} to v${to}:`, {
    blocks: [{ kind: 'code', language: 'diff', code: `--- v${from}\n+++ v${to}\n${body}` }],
    data: { from, to },
  });
}
