export { normalizeChatText } from './normalize.js';
export type { ParseCommandOptions } from './parse.js';
export { DEFAULT_MAX_COMMAND_LENGTH, parseCommandLine } from './parse.js';
export { commandNameOf } from './shared.js';
