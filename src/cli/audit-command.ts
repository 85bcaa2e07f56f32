/**
 * `aitws audit export`: the audit trail as JSON Lines on stdout, for a SIEM. Reads the same store
 * the bot writes (REDIS_URL, else the data directory); nothing is changed.
 */
import { parseArgs } from 'node:util';
import { buildSessionStore } from '../app.js';
import { loadConfig } from '../config.js';
import { AitwsError } from '../errors.js';
import { createLogger } from '../logging.js';
import type { AuditFilter } from '../session/access-port.js';
import type { Platform } from '../session/port.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE } from './validate-files.js';

export const AUDIT_USAGE = `  audit export [--platform P] [--workspace W] [--channel C] [--since DATE] [--data-dir DIR]
                                  the audit trail as JSON Lines (one entry per line) on stdout`;

const PLATFORMS: readonly Platform[] = ['console', 'slack', 'discord'];

function sinceOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value) ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime()))
    throw new AitwsError('USAGE', `--since "${value}" is not a date.`, {
      details: ['Give a date (2026-12-01) or a time (2026-12-01T09:30:00Z).'],
    });
  return date;
}

function platformOf(value: string | undefined): Platform | undefined {
  if (value === undefined) return undefined;
  const platform = PLATFORMS.find((candidate) => candidate === value);
  if (platform === undefined)
    throw new AitwsError('USAGE', `--platform "${value}" is not one of ${PLATFORMS.join(', ')}.`);
  return platform;
}

export async function auditCommand(args: readonly string[], env: Environment): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      platform: { type: 'string' },
      workspace: { type: 'string' },
      channel: { type: 'string' },
      since: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || positionals[0] !== 'export') {
    stdio.err(`aitws audit: say what to do, e.g. aitws audit export --since 2026-12-01\n\n${AUDIT_USAGE}`);
    return EXIT_UNREADABLE;
  }
  const platform = platformOf(values.platform);
  const since = sinceOf(values.since);
  const filter: AuditFilter = {
    ...(platform === undefined ? {} : { platform }),
    ...(values.workspace === undefined ? {} : { workspace: values.workspace }),
    ...(values.channel === undefined ? {} : { channel: values.channel }),
    ...(since === undefined ? {} : { since }),
  };
  const config = loadConfig(env, ['storage', 'log']);
  const logger = createLogger({ level: config.logLevel ?? 'warn' });
  const store = buildSessionStore(config, logger, values['data-dir']);
  try {
    for await (const entry of store.access.exportAudit(filter)) stdio.out(JSON.stringify(entry));
    return 0;
  } finally {
    await store.interactions.close();
    await store.access.close();
    await store.sessions.close();
  }
}
