/**
 * Structured logging (pino). Every line passes through the secret masker before it is written,
 * so a credential in a URL never reaches a log file, whatever field it hides in.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { isSecretKey, MASK, maskSecrets } from './document/redact.js';

export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Every string in a parsed log record, masked as it reads unescaped (`\"` hides a quote from a pattern). */
function maskRecord(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return isSecretKey(key) && value !== '' ? MASK : maskSecrets(value);
  if (Array.isArray(value)) return value.map((item) => maskRecord(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, maskRecord(item, name)]));
  }
  return value;
}

/** One log line (pino writes one JSON record per line); text that is not JSON is masked as text. */
function maskLine(line: string): string {
  try {
    return JSON.stringify(maskRecord(JSON.parse(line)));
  } catch {
    return maskSecrets(line);
  }
}

function maskingStream(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const lines = chunk.toString().split('\n');
      target.write(lines.map((line) => (line === '' ? line : maskLine(line))).join('\n'));
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

/** A logger that adds `bindings` (a run id, a step) to every line. */
export function childLogger(logger: Logger, bindings: object): Logger {
  return {
    debug: (fields, message) => logger.debug({ ...bindings, ...fields }, message),
    info: (fields, message) => logger.info({ ...bindings, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...bindings, ...fields }, message),
    error: (fields, message) => logger.error({ ...bindings, ...fields }, message),
  };
}
