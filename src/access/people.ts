/**
 * The USER of /grant and /revoke. In Slack and Discord it must be a mention, which the chat client
 * sends as `<@ID>` (the grammar drops Slack's label): an id typed by hand (`@U0123ABCD`) could name
 * a stranger after one wrong character. The console has no ids, so a plain name is the person.
 */
import { AitwsError } from '../errors.js';
import type { Person } from '../session/access-port.js';
import type { Platform } from '../session/port.js';

const MENTION: Readonly<Record<Exclude<Platform, 'console'>, RegExp>> = {
  // Slack user ids: U… (or W… on Enterprise Grid).
  slack: /^<@([UW][A-Z0-9]{2,20})(?:\|([\p{L}\p{N}_.-]{1,80}))?>$/u,
  // Discord snowflakes; `<@!id>` is the older nickname form of the same mention.
  discord: /^<@!?(\d{5,25})>$/,
};

const CONSOLE_NAME = /^@?([\p{L}\p{N}_.-]{1,64})$/u;

export function personFromArgument(word: string, platform: Platform): Person {
  if (platform === 'console') {
    const name = CONSOLE_NAME.exec(word)?.[1];
    if (name === undefined)
      throw new AitwsError('UNKNOWN_USER', `"${word}" is not a user name.`, {
        hint: 'In the console a user is the name they pass to --user: letters, digits, ".", "_" and "-".',
      });
    return { id: name, name };
  }
  const match = MENTION[platform].exec(word);
  const id = match?.[1];
  if (id === undefined)
    throw new AitwsError('UNKNOWN_USER', `"${word}" is not a mention of a person.`, {
      hint: 'Mention them, e.g. /grant @carol Developer: a typed id could name the wrong person.',
    });
  // Slack's label is the person's handle; Discord's mention carries none, so the id stands in.
  return { id, name: match?.[2] ?? `@${id}` };
}
