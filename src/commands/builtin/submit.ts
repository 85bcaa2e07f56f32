import { changeManagement } from '../../access/review.js';
import { submitVersion } from '../../access/reviews.js';
import { maskDocument, maskSecrets } from '../../document/redact.js';
import { stringifyDocument } from '../../document/toml.js';
import { isTable } from '../../document/tree.js';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { compileCondition } from '../../runtime/conditions.js';
import type { ApprovedVersion } from '../../session/access-port.js';
import type { SessionRecord } from '../../session/port.js';
import { readDraft, recordDone } from '../draft.js';
import { privateAnswer, type Reply, type ReplyBlock, success } from '../reply.js';
import { quorumLine, reviewButtons, reviewLine } from '../review-text.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { compareVersions } from './diff.js';

const MAX_NOTE = 300;

/**
 * The diff since the last approved version, as /diff shows it. The first time there is nothing to
 * compare with, and a diff from nothing is the whole draft line by line: attached instead.
 */
async function changesSince(
  context: CommandContext,
  lastApproved: ApprovedVersion | null,
  record: SessionRecord & { readonly document: AitwsDocument },
): Promise<{ blocks: readonly ReplyBlock[]; attachments: Reply['attachments'] }> {
  if (lastApproved === null || lastApproved.version >= record.version) {
    const content = stringifyDocument(maskDocument(record.document));
    return {
      blocks: [
        {
          kind: 'text',
          text: `Nothing here was approved before: the whole draft is attached (v${record.version}.toml).`,
        },
      ],
      attachments: [{ filename: `v${record.version}.toml`, contentType: 'application/toml', content }],
    };
  }
  const from = lastApproved.version;
  const heading: ReplyBlock = { kind: 'text', text: `Changes since v${from}, the last approved version:` };
  try {
    const diff = await compareVersions(context, from, record.version, record);
    return { blocks: [heading, ...diff.blocks], attachments: diff.attachments };
  } catch (error) {
    if (!(error instanceof AitwsError) || error.code !== 'VERSION_NOT_FOUND') throw error;
    return {
      blocks: [
        heading,
        { kind: 'text', text: `v${from} is no longer in the history, so there is no diff to show.` },
      ],
      attachments: [],
    };
  }
}

/**
 * Conditions are CEL, parsed and type-checked when a version is submitted: no reviewer should be
 * asked to approve an expression that cannot run. (The rest of pre-flight depends on where the
 * run happens, secrets and executors, and is checked by /run.)
 */
function refuseBrokenConditions(document: AitwsDocument): void {
  const entries = Array.isArray(document.conditions) ? document.conditions : [];
  const problems: string[] = [];
  for (const entry of entries) {
    if (!isTable(entry) || typeof entry.expression !== 'string') continue;
    try {
      compileCondition(entry.expression);
    } catch (error) {
      if (!(error instanceof AitwsError)) throw error;
      problems.push(`conditions[${String(entry.name)}].expression: ${error.message}`);
    }
  }
  if (problems.length === 0) return;
  throw new AitwsError(
    'PREFLIGHT',
    'This version cannot be submitted: a condition does not parse or type-check.',
    {
      details: problems,
      hint: 'Fix the expression (it is CEL: inputs.x == "y", steps.A.output.n > 3), then /submit again.',
    },
  );
}

export const submitCommand: CommandDefinition = {
  name: 'submit',
  group: 'access',
  privilege: 'write',
  rawArgs: true,
  summary: 'Ask for review of the current version',
  usage: '/submit [NOTE]',
  description:
    "Posts the changes since the last approved version with Approve and Reject buttons. The people who count are those granted a role of change_management.approval_roles that has the approve privilege; change_management.required_approvals (default 1) is the quorum, and the submitter's own approval does not count unless change_management.allow_self_approval = true. Any later edit voids the review (and an approval).",
  accepts: { params: [], words: 1 },
  examples: ['/submit', '/submit adds the nightly retraining stage'],
  async run(context) {
    const [rawNote] = context.command.positionals;
    const note = rawNote === undefined ? undefined : maskSecrets(rawNote).slice(0, MAX_NOTE);
    const { record, document } = await readDraft(context);
    refuseBrokenConditions(document);
    const { channel, actor } = context.invocation;
    const at = context.now().toISOString();
    const session = { ...record, document };
    const outcome = await submitVersion(context.access, channel, session, actor, at, note);
    if (outcome.kind === 'already')
      return privateAnswer(`v${record.version} is already submitted.`, {
        blocks: [{ kind: 'text', text: reviewLine(outcome.review, outcome.review.state, 0) }],
        data: { review: outcome.review },
      });
    const { review } = outcome;
    await recordDone(
      context,
      {
        kind: 'submit',
        versionAfter: review.version,
        hash: review.hash,
        ...(note === undefined ? {} : { detail: note }),
      },
      `v${review.version} is submitted`,
    );
    const changes = await changesSince(context, outcome.previous.lastApproved, session);
    const buttons = context.invocation.supportsButtons === true;
    return success(
      `${actor.name} asks for review of v${review.version}${note === undefined ? '' : `: ${note}`}`,
      {
        blocks: [
          { kind: 'text', text: reviewLine(review, 'pending', 0) },
          { kind: 'text', text: `Needs ${quorumLine(review, changeManagement(document))}.` },
          ...changes.blocks,
          ...(buttons ? [] : [{ kind: 'text' as const, text: 'Reviewers: /approve, or /reject REASON.' }]),
        ],
        attachments: changes.attachments,
        buttons: buttons ? reviewButtons(review) : [],
        data: { review },
      },
    );
  },
};
