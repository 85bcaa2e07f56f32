import { maskSecrets } from '../../document/index.js';
import { AitwsError } from '../../errors.js';
import { privateAnswer } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { optionalPositiveInteger } from './params.js';

const DEFAULT_ENTRIES = 10;
const MAX_ENTRIES = 100;
const MAX_CHANGE_TEXT = 120;

function countWord(word: string): number {
  const count = Number(word);
  if (!/^\d+$/.test(word) || count < 1 || count > MAX_ENTRIES) {
    throw new AitwsError('USAGE', `"${word}" is not a number of versions.`, {
      hint: `Give a whole number from 1 to ${MAX_ENTRIES}: /history 25.`,
    });
  }
  return count;
}

const pad = (value: number): string => String(value).padStart(2, '0');

/** The console runs where the person sits: their local time, to the second. */
function localTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const date = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
  return `${date} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** A channel's members sit in many time zones: UTC, said so, to the second. */
function utcTime(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > MAX_CHANGE_TEXT ? `${oneLine.slice(0, MAX_CHANGE_TEXT - 1)}…` : oneLine;
}

export const historyCommand: CommandDefinition = {
  name: 'history',
  group: 'history',
  privilege: 'read',
  summary: 'List recent versions of the draft: who changed what, when',
  usage: '/history [N]',
  description: `Lists the latest versions, newest first (default ${DEFAULT_ENTRIES}). Use /diff to compare two of them and /undo to step back.`,
  accepts: { params: ['limit'], words: 1 },
  examples: ['/history', '/history 25'],
  async run(context) {
    const { params, positionals } = context.command;
    const [word] = positionals;
    if (word !== undefined && params.length > 0) {
      throw new AitwsError('USAGE', 'Give the number once: /history 25.', { hint: `Usage: ${this.usage}` });
    }
    const limit =
      (word === undefined ? optionalPositiveInteger(params, 'limit', MAX_ENTRIES) : countWord(word)) ??
      DEFAULT_ENTRIES;
    const entries = await context.drafts.history(context.invocation.channel, limit);
    if (entries.length === 0) return privateAnswer('No changes in this channel yet. Start with /create.');
    const shown = context.invocation.channel.platform === 'console' ? localTime : utcTime;
    const items = entries.map(
      (e) => `v${e.version} · ${shown(e.at)} · ${e.by} · ${shorten(maskSecrets(e.change))}`,
    );
    return privateAnswer(`Last ${entries.length} version${entries.length === 1 ? '' : 's'}:`, {
      blocks: [{ kind: 'list', items }],
      data: {
        versions: entries.map(({ version, at, by, change }) => ({
          version,
          at,
          by,
          change: maskSecrets(change),
        })),
      },
    });
  },
};
