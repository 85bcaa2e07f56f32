/**
 * The explicit command registry. /help, the console, Slack's `/aitws` and Discord's command
 * payload are all generated from this list; nothing is discovered by globbing. Each command says
 * the privilege it needs; the dispatcher checks it before the command runs.
 */
import { addCommand } from './builtin/add.js';
import { createApplyCommand } from './builtin/apply.js';
import { createAskCommand } from './builtin/ask.js';
import { auditCommand } from './builtin/audit.js';
import { cancelCommand } from './builtin/cancel.js';
import { createCommand } from './builtin/create.js';
import { diffCommand } from './builtin/diff.js';
import { discardCommand } from './builtin/discard.js';
import { emitCommand } from './builtin/emit.js';
import { feedbackCommand } from './builtin/feedback.js';
import { grantCommand } from './builtin/grant.js';
import { graphCommand } from './builtin/graph.js';
import { createHelpCommand } from './builtin/help.js';
import { historyCommand } from './builtin/history.js';
import { hooksCommand } from './builtin/hooks.js';
import { jobsCommand } from './builtin/jobs.js';
import { loadCommand } from './builtin/load.js';
import { membersCommand } from './builtin/members.js';
import { packageCommand } from './builtin/package.js';
import { pullCommand } from './builtin/pull.js';
import { pushCommand } from './builtin/push.js';
import { redoCommand } from './builtin/redo.js';
import { removeCommand } from './builtin/remove.js';
import { replayCommand } from './builtin/replay.js';
import { restoreCommand } from './builtin/restore.js';
import { resultsCommand } from './builtin/results.js';
import { retryCommand } from './builtin/retry.js';
import { reviewCommand } from './builtin/review.js';
import { revokeCommand } from './builtin/revoke.js';
import { runCommand } from './builtin/run.js';
import { saveCommand } from './builtin/save.js';
import { savedCommand } from './builtin/saved.js';
import { showCommand } from './builtin/show.js';
import { statusCommand } from './builtin/status.js';
import { submitCommand } from './builtin/submit.js';
import { undoCommand } from './builtin/undo.js';
import { validateCommand } from './builtin/validate.js';
import { createVoteCommand } from './builtin/vote.js';
import type { CommandDefinition } from './types.js';

export const COMMANDS: readonly CommandDefinition[] = [
  createHelpCommand(() => COMMANDS),
  createCommand,
  addCommand,
  removeCommand,
  showCommand,
  validateCommand,
  graphCommand,
  loadCommand,
  pullCommand,
  saveCommand,
  savedCommand,
  undoCommand,
  redoCommand,
  restoreCommand,
  historyCommand,
  diffCommand,
  createAskCommand(() => COMMANDS),
  createApplyCommand(() => COMMANDS),
  discardCommand,
  runCommand,
  statusCommand,
  resultsCommand,
  feedbackCommand,
  jobsCommand,
  cancelCommand,
  retryCommand,
  replayCommand,
  packageCommand,
  pushCommand,
  emitCommand,
  hooksCommand,
  submitCommand,
  createVoteCommand('approve'),
  createVoteCommand('reject'),
  reviewCommand,
  grantCommand,
  revokeCommand,
  membersCommand,
  auditCommand,
];
