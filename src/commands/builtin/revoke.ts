import { revokeRole } from '../../access/grants.js';
import { personFromArgument } from '../../access/people.js';
import { recordDone } from '../draft.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { userAndRole } from './grant.js';

export const revokeCommand: CommandDefinition = {
  name: 'revoke',
  group: 'access',
  privilege: 'admin',
  summary: 'Take a role away from a person in this channel',
  usage: '/revoke USER ROLE',
  description:
    'Removes the grant. Their votes on a pending review stop counting. Someone with no grant left holds the defaults again. The last holder of a role with admin can only be revoked by a workspace admin.',
  accepts: { params: [], words: 2 },
  examples: ['/revoke @dan Developer'],
  async run(context) {
    const { userWord, role } = userAndRole(context, this.usage);
    const { channel, actor } = context.invocation;
    const user = personFromArgument(userWord, channel.platform);
    const { document } = await context.drafts.read(channel);
    const at = context.now().toISOString();
    const revoked = await revokeRole(context.access, {
      channel,
      caller: context.caller,
      document,
      user,
      role,
      at,
    });
    await recordDone(
      context,
      { kind: 'revoke', detail: `${revoked.role} from ${revoked.user.name} (${revoked.user.id})` },
      `${revoked.role} is revoked`,
    );
    return success(`${actor.name} revoked ${revoked.role} from ${revoked.user.name} here.`, {
      data: { revoked },
    });
  },
};
