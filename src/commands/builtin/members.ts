import { defaultPrivileges, definedRoles, rolePrivileges } from '../../access/privileges.js';
import { changeManagement } from '../../access/review.js';
import type { Grant } from '../../session/access-port.js';
import { privateAnswer } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { rejectUnknownParams } from './params.js';

function describeRole(document: Parameters<typeof rolePrivileges>[0], role: string): string {
  const privileges = rolePrivileges(document, role);
  if (privileges === undefined) return `${role} (dormant: the document no longer defines it)`;
  return `${role} (${[...privileges].join(', ') || 'no privileges'})`;
}

function byPerson(grants: readonly Grant[]): Map<string, Grant[]> {
  const people = new Map<string, Grant[]>();
  for (const grant of grants) people.set(grant.user.id, [...(people.get(grant.user.id) ?? []), grant]);
  return people;
}

export const membersCommand: CommandDefinition = {
  name: 'members',
  group: 'access',
  privilege: 'read',
  summary: 'Who holds which role here, and what everyone else may do',
  usage: '/members',
  description:
    'Lists the grants of this channel with the privileges each role gives (a grant whose role the document no longer defines is shown as dormant and gives nothing), the defaults for everyone without a grant, the workspace admins, and who may approve a review.',
  accepts: { params: [], words: 0 },
  examples: ['/members'],
  async run(context) {
    rejectUnknownParams(context.command.params, [], this.usage);
    const { channel } = context.invocation;
    const [{ document }, record] = await Promise.all([
      context.drafts.read(channel),
      context.access.read(channel),
    ]);
    const items = [...byPerson(record.grants).values()].map((grants) => {
      const [first] = grants;
      // The console has names only; in chat the id tells two people with one name apart.
      const who =
        first === undefined || first.user.name === first.user.id
          ? (first?.user.name ?? '')
          : `${first.user.name} (${first.user.id})`;
      return `${who}: ${grants.map((g) => describeRole(document, g.role)).join('; ')}`;
    });
    const { policy } = context.access;
    const defaults = defaultPrivileges(policy);
    const admins = [...policy.admins]
      .filter((entry) => entry.startsWith(`${channel.platform}:`))
      .map((entry) => entry.slice(channel.platform.length + 1));
    const cm = changeManagement(document);
    const approvers = cm.approvalRoles.length === 0 ? 'any role with approve' : cm.approvalRoles.join(', ');
    const roles = definedRoles(document);
    return privateAnswer(
      items.length === 0 ? 'Nobody holds a role in this channel yet.' : 'Roles granted in this channel:',
      {
        blocks: [
          ...(items.length === 0 ? [] : [{ kind: 'list' as const, items }]),
          {
            kind: 'fields',
            fields: [
              {
                label: 'Everyone else',
                value: `${defaults.join(', ') || 'nothing'} (AITWS_DEFAULT_PRIVILEGES)`,
              },
              {
                label: 'Workspace admins (AITWS_ADMINS)',
                value: admins.length === 0 ? 'none' : admins.join(', '),
              },
              { label: 'Roles in the document', value: roles.length === 0 ? 'none' : roles.join(', ') },
              {
                label: 'Review',
                value: `${cm.reviewRequired ? 'required before /run' : 'optional'}; ${cm.requiredApprovals} approval${cm.requiredApprovals === 1 ? '' : 's'} from ${approvers}`,
              },
            ],
          },
        ],
        data: { grants: record.grants, defaults, admins },
      },
    );
  },
};
