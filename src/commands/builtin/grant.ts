import { grantRole } from '../../access/grants.js';
import { personFromArgument } from '../../access/people.js';
import { rolePrivileges } from '../../access/privileges.js';
import { AitwsError } from '../../errors.js';
import { recordDone } from '../draft.js';
import { privateAnswer, success } from '../reply.js';
import type { CommandContext, CommandDefinition } from '../types.js';

/** USER and ROLE of /grant and /revoke, or a usage error. */
export function userAndRole(context: CommandContext, usage: string): { userWord: string; role: string } {
  const [userWord, role] = context.command.positionals;
  if (userWord === undefined || role === undefined)
    throw new AitwsError('USAGE', 'Say who and which role.', {
      hint: `Usage: ${usage} (a role with spaces in quotes: "Senior Developer").`,
    });
  return { userWord, role };
}

export const grantCommand: CommandDefinition = {
  name: 'grant',
  group: 'access',
  privilege: 'admin',
  summary: "Give a person one of the document's roles in this channel",
  usage: '/grant USER ROLE',
  description:
    "The person gets the role's privileges ([[roles]].privileges and [[authorization]].allowed_actions) in this channel, in place of the defaults everyone else has. USER is a mention (@carol) in Slack and Discord, a name in the console; ROLE is a role the document defines.",
  accepts: { params: [], words: 2 },
  examples: ['/grant @carol Administrator', '/grant @dan "Senior Developer"'],
  async run(context) {
    const { userWord, role } = userAndRole(context, this.usage);
    const { channel, actor } = context.invocation;
    const user = personFromArgument(userWord, channel.platform);
    const { document } = await context.drafts.read(channel);
    const at = context.now().toISOString();
    const request = { channel, caller: context.caller, document, user, role, at };
    const { grant, already } = await grantRole(context.access, request);
    if (already) return privateAnswer(`${user.name} already holds ${grant.role} here.`, { data: { grant } });
    await recordDone(
      context,
      { kind: 'grant', detail: `${grant.role} to ${user.name} (${user.id})` },
      `${grant.role} is granted`,
    );
    const privileges = [...(rolePrivileges(document, grant.role) ?? [])].join(', ') || 'no privileges';
    return success(`${actor.name} granted ${grant.role} to ${user.name} here (${privileges}).`, {
      data: { grant },
    });
  },
};
