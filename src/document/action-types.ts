/** The action types the runtime provides without plugins. */
export const BUILTIN_ACTION_TYPES = [
  'ai.invoke',
  'http.request',
  'chat.notify',
  'human.approval',
  'transform',
  'emit',
  'wait',
] as const;
