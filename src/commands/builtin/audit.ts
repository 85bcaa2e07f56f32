import { shortHash } from '../../access/content-hash.js';
import { AitwsError } from '../../errors.js';
import type { AuditEntry } from '../../session/access-port.js';
import { privateAnswer } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { rejectUnknownParams } from './params.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 200;

function versions(entry: AuditEntry): string {
  if (entry.versionBefore !== undefined && entry.versionAfter !== undefined)
    return ` · v${entry.versionBefore}→v${entry.versionAfter}`;
  return entry.versionAfter === undefined ? '' : ` · v${entry.versionAfter}`;
}

export function auditLine(entry: AuditEntry): string {
  const hash = entry.hash === undefined ? '' : ` · ${shortHash(entry.hash)}`;
  const detail = entry.detail === undefined ? '' : ` · ${entry.detail}`;
  return `${entry.at.slice(0, 19).replace('T', ' ')} UTC · ${entry.actor.name} · ${entry.kind} · ${entry.command}${versions(entry)}${hash}${detail}`;
}

function limitOf(word: string | undefined): number {
  if (word === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(word) ? Number(word) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new AitwsError('USAGE', `"${word}" is not a number of entries from 1 to ${MAX_LIMIT}.`, {
      hint: 'Usage: /audit [LIMIT], e.g. /audit 50.',
    });
  return limit;
}

export const auditCommand: CommandDefinition = {
  name: 'audit',
  group: 'access',
  privilege: 'read',
  summary: "This channel's audit trail, newest first",
  usage: '/audit [LIMIT]',
  description: `Every change, grant, revoke, submission, vote and refusal in this channel, with who, when, the command (secrets masked), the versions and the content hash. Entries are never edited or deleted. Shows ${DEFAULT_LIMIT} unless you ask for up to ${MAX_LIMIT}; aitws audit export writes the whole trail as JSON Lines.`,
  accepts: { params: [], words: 1 },
  examples: ['/audit', '/audit 50'],
  async run(context) {
    rejectUnknownParams(context.command.params, [], this.usage);
    const limit = limitOf(context.command.positionals[0]);
    const entries = await context.access.recentAudit(context.invocation.channel, limit);
    if (entries.length === 0)
      return privateAnswer("Nothing is in this channel's audit trail yet.", { data: { entries } });
    return privateAnswer(
      `The last ${entries.length} audit entr${entries.length === 1 ? 'y' : 'ies'} here, newest first:`,
      {
        blocks: [{ kind: 'list', items: entries.map(auditLine) }],
        data: { entries },
      },
    );
  },
};
