/**
 * Structured logging (pino). Every line passes through the secret masker before it is written,
 * so a credential in a URL never reaches a log file, whatever field it hides in.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { maskSecrets } from './document/redact.js';

export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

function maskingStream(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      target.write(maskSecrets(chunk.toString()));
      callback();
    },
  });
}

export function createLogger(options: { level: LogLevel; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { app: 'aitws' },
      // ioredis errors carry the command that failed, and `auth`'s arguments are the password.
      redact: { paths: ['err.command.args', 'error.command.args'], censor: '****' },
    },
    maskingStream(options.destination ?? process.stderr),
  );
}

/** For tests and quiet embedded runs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
