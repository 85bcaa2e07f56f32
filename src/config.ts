/**
 * Configuration, read once from the environment in the composition root and validated with zod.
 * Nothing else reads process.env.
 */
import { z } from 'zod';
import { AitwsError } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './spec/types.js';

const positiveInt = z.coerce.number().int().positive();

const EnvSchema = z.object({
  AITWS_DATA_DIR: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  AITWS_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/)
    .default('aitws'),
  AITWS_REDIS_TIMEOUT_MS: positiveInt.default(2000),
  AITWS_SESSION_TTL_DAYS: positiveInt.default(90),
  AITWS_HISTORY_LIMIT: positiveInt.max(1000).default(50),
  AITWS_MAX_DOCUMENT_BYTES: positiveInt.default(DEFAULT_LIMITS.documentBytes),
  AITWS_MAX_LIST_ENTRIES: positiveInt.default(DEFAULT_LIMITS.entriesPerList),
  AITWS_MAX_STRING_BYTES: positiveInt.default(DEFAULT_LIMITS.stringBytes),
  AITWS_MAX_NESTING: positiveInt.max(64).default(DEFAULT_LIMITS.nestingDepth),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

export interface Config {
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  readonly redisTimeoutMs: number;
  readonly sessionTtlSeconds: number;
  readonly historyLimit: number;
  readonly limits: Limits;
  /** Unset means each mode picks its own default (the console stays quiet, servers log info). */
  readonly logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
}

export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new AitwsError('CONFIG', 'The environment configuration is invalid.', { details: problems });
  }
  const e = parsed.data;
  return {
    dataDir: e.AITWS_DATA_DIR ?? '.aitws',
    redisUrl: e.REDIS_URL,
    redisPrefix: e.AITWS_REDIS_PREFIX,
    redisTimeoutMs: e.AITWS_REDIS_TIMEOUT_MS,
    sessionTtlSeconds: e.AITWS_SESSION_TTL_DAYS * 24 * 3600,
    historyLimit: e.AITWS_HISTORY_LIMIT,
    limits: {
      documentBytes: e.AITWS_MAX_DOCUMENT_BYTES,
      entriesPerList: e.AITWS_MAX_LIST_ENTRIES,
      stringBytes: e.AITWS_MAX_STRING_BYTES,
      nestingDepth: e.AITWS_MAX_NESTING,
    },
    logLevel: e.LOG_LEVEL,
  };
}
