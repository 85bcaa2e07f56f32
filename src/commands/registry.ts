/**
 * The explicit command registry. /help, the console, Slack's `/aitws` and Discord's command
 * payload are all generated from this list; nothing is discovered by globbing.
 */
import { addCommand } from './builtin/add.js';
import { createApplyCommand } from './builtin/apply.js';
import { createAskCommand } from './builtin/ask.js';
import { createCommand } from './builtin/create.js';
import { diffCommand } from './builtin/diff.js';
import { discardCommand } from './builtin/discard.js';
import { createHelpCommand } from './builtin/help.js';
import { historyCommand } from './builtin/history.js';
import { loadCommand } from './builtin/load.js';
import { redoCommand } from './builtin/redo.js';
import { removeCommand } from './builtin/remove.js';
import { restoreCommand } from './builtin/restore.js';
import { saveCommand } from './builtin/save.js';
import { savedCommand } from './builtin/saved.js';
import { showCommand } from './builtin/show.js';
import { undoCommand } from './builtin/undo.js';
import { validateCommand } from './builtin/validate.js';
import type { CommandDefinition } from './types.js';

export const COMMANDS: readonly CommandDefinition[] = [
  createHelpCommand(() => COMMANDS),
  createCommand,
  addCommand,
  removeCommand,
  showCommand,
  validateCommand,
  loadCommand,
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
];
