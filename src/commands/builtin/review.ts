import { shortHash } from '../../access/content-hash.js';
import { changeManagement, countedApprovals, effectiveState } from '../../access/review.js';
import { privateAnswer } from '../reply.js';
import { quorumLine, reviewLine, votesList } from '../review-text.js';
import type { CommandDefinition } from '../types.js';
import { rejectUnknownParams } from './params.js';

export const reviewCommand: CommandDefinition = {
  name: 'review',
  group: 'access',
  privilege: 'read',
  summary: 'Where the review of the current version stands',
  usage: '/review',
  description:
    'Says whether the current version is waiting for review (and the votes so far), approved (by whom, when), rejected (by whom, why), void (the draft changed after it was submitted) or not submitted, and which version was last approved.',
  accepts: { params: [], words: 0 },
  examples: ['/review'],
  async run(context) {
    rejectUnknownParams(context.command.params, [], this.usage);
    const { channel } = context.invocation;
    const [session, record] = await Promise.all([context.drafts.read(channel), context.access.read(channel)]);
    const last = record.lastApproved;
    const lastLine =
      last === null
        ? 'No version has been approved here yet.'
        : `Last approved: v${last.version} · ${shortHash(last.hash)} by ${last.approvedBy.map((p) => p.name).join(', ')} at ${last.at}`;
    const review = record.review;
    if (review === null)
      return privateAnswer(`v${session.version} is not submitted for review. /submit asks for one.`, {
        blocks: [{ kind: 'text', text: lastLine }],
        data: { state: 'none', version: session.version, lastApproved: last },
      });
    const state = effectiveState(review, session.version);
    const electorate = {
      policy: context.access.policy,
      document: session.document,
      grants: record.grants,
      platform: channel.platform,
    };
    const counted = countedApprovals(electorate, review).length;
    const votes = votesList(review);
    return privateAnswer(reviewLine(review, state, counted), {
      blocks: [
        {
          kind: 'text',
          text: `Submitted by ${review.submittedBy.name} at ${review.submittedAt}${review.note === undefined ? '' : `: ${review.note}`}`,
        },
        ...(state === 'pending'
          ? [
              {
                kind: 'text' as const,
                text: `Needs ${quorumLine(review, changeManagement(session.document))}.`,
              },
            ]
          : []),
        ...(votes.length === 0 ? [] : [{ kind: 'list' as const, items: votes }]),
        ...(state === 'void' && review.state !== 'void'
          ? [
              {
                kind: 'text' as const,
                text: `The draft is now v${session.version}; /submit asks for review of it.`,
              },
            ]
          : []),
        { kind: 'text', text: lastLine },
      ],
      data: { state, review, version: session.version, lastApproved: last },
    });
  },
};
