/** Bolt's logger interface over ours, so Slack's messages go through the same masking JSON log. */
import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../../logging.js';

function line(messages: readonly unknown[]): { text: string; err?: unknown } {
  const err = messages.find((m) => m instanceof Error);
  const text = messages
    .filter((m) => !(m instanceof Error))
    .map((m) => (typeof m === 'string' ? m : JSON.stringify(m)))
    .join(' ');
  return err === undefined ? { text } : { text, err };
}

export function boltLogger(logger: Logger): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  let name = 'slack';
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...messages: unknown[]): void => {
      const { text, err } = line(messages);
      logger[method]({ source: name, ...(err === undefined ? {} : { err }) }, text || 'Slack');
    };
  return {
    debug: write('debug'),
    // Bolt's info lines are connection chatter; our own info lines say what matters.
    info: write('debug'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: (next: string) => {
      name = next;
    },
  };
}
