/**
 * Configuration, read once from the environment in the composition root and validated with zod.
 * Nothing else reads process.env.
 */
import { z } from 'zod';
import { type AccessPolicy, DEFAULTABLE_PRIVILEGES, isPrivilege } from './access/privileges.js';
import { AI_ENV_SHAPE, AI_VARIABLES, type AiConfig, aiConfig } from './config-ai.js';
import { OCI_ENV_SHAPE, OCI_VARIABLES, type PackagingSettings, packagingConfig } from './config-oci.js';
import { DEFAULT_LIMITS, type Limits } from './document/types.js';
import { AitwsError } from './errors.js';
import type { PageSettings } from './http/page-links.js';
import { DEFAULT_LIBRARY_LIMITS, type LibraryLimits } from './session/names.js';

const positiveInt = z.coerce.number().int().positive();

const ADMIN_ENTRY = /^(console|slack|discord):[^\s,]{1,64}$/;

/** `slack:U123,discord:456,console:root` → the set of `platform:id`. */
const adminList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  )
  .refine((entries) => entries.every((entry) => ADMIN_ENTRY.test(entry)), {
    message: 'must be a comma-separated list of platform:id (slack:U123,discord:456,console:root)',
  });

/** Only read and write may be everyone's: execute, approve and admin always need a grant. */
const defaultPrivileges = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry !== ''),
  )
  .refine(
    (entries) => entries.every((entry) => (DEFAULTABLE_PRIVILEGES as readonly string[]).includes(entry)),
    {
      message: 'may list only read and write (execute, approve and admin always need a grant)',
    },
  );

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
  AITWS_LIBRARY_MAX_ENTRIES: positiveInt.default(DEFAULT_LIBRARY_LIMITS.maxEntries),
  AITWS_LIBRARY_MAX_BYTES: positiveInt.default(DEFAULT_LIBRARY_LIMITS.maxBytes),
  AITWS_AUDIT_MAX_LENGTH: positiveInt.default(10_000),
  AITWS_ADMINS: adminList.optional(),
  AITWS_DEFAULT_PRIVILEGES: defaultPrivileges.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  AITWS_HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(10_000),
  AITWS_HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(20_000),
  AITWS_HTTP_MAX_CONNECTIONS: positiveInt.default(1000),
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'must be a bot token (xoxb-…)').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must be an app-level token (xapp-…)').optional(),
  SLACK_API_URL: z.url().optional(),
  DISCORD_TOKEN: z.string().min(1).optional(),
  DISCORD_APPLICATION_ID: z
    .string()
    .regex(/^\d{5,25}$/, 'must be the numeric application id')
    .optional(),
  DISCORD_PUBLIC_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be the 64-hex-digit public key')
    .optional(),
  DISCORD_API_URL: z.url().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  AITWS_MODEL: z.string().min(1).optional(),
  AITWS_ASK_PER_USER_PER_MINUTE: positiveInt.default(5),
  AITWS_ASK_PER_CHANNEL_PER_HOUR: positiveInt.default(30),
  AITWS_ASK_DAILY_TOKENS: positiveInt.default(2_000_000),
  AITWS_PLUGINS: z.string().min(1).optional(),
  AITWS_SECRETS_DIR: z.string().min(1).optional(),
  AITWS_MAX_OUTPUT_BYTES: positiveInt.default(256 * 1024),
  AITWS_HTTP_MAX_RESPONSE_BYTES: positiveInt.default(1024 * 1024),
  AITWS_RUN_RETENTION_DAYS: positiveInt.default(30),
  AITWS_WORKER_CONCURRENCY: positiveInt.max(1000).default(8),
  AITWS_WEBHOOK_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (openssl rand -hex 32)')
    .optional(),
  AITWS_PUBLIC_URL: z.url().optional(),
  AITWS_PAGE_SECRET: z.string().min(32, 'must be at least 32 characters (openssl rand -hex 32)').optional(),
  AITWS_PAGE_LINK_TTL: positiveInt.default(24 * 3600),
  ...AI_ENV_SHAPE,
  ...OCI_ENV_SHAPE,
});

/** `${secret:NAME}` values come from AITWS_SECRET_<NAME> (or files in AITWS_SECRETS_DIR). */
export const SECRET_VARIABLE_PREFIX = 'AITWS_SECRET_';

export interface SlackConfig {
  readonly botToken: string;
  readonly signingSecret: string | undefined;
  /** Set: Socket Mode. Unset: HTTP on PORT at /slack/events. */
  readonly appToken: string | undefined;
  readonly apiUrl: string | undefined;
}

export interface DiscordConfig {
  /** Gateway mode (and REST calls such as follow-ups and registration). */
  readonly token: string | undefined;
  readonly applicationId: string | undefined;
  /** HTTP interactions mode at POST /discord/interactions. */
  readonly publicKey: string | undefined;
  readonly apiUrl: string | undefined;
}

export interface HttpConfig {
  readonly port: number;
  readonly host: string;
  /** Set: /metrics is served only on this port (on HOST), not on PORT. */
  readonly metricsPort: number | undefined;
  /** A connection that has not sent its whole header by then is closed (slow-loris). */
  readonly headersTimeoutMs: number;
  /** Whole request received by then, and no socket idles longer. */
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
}

export interface AnthropicConfig {
  readonly apiKey: string | undefined;
  readonly baseUrl: string | undefined;
  readonly model: string | undefined;
  /** /ask limits: per person per minute, per channel per hour, tokens per workspace per UTC day. */
  readonly askPerUserPerMinute: number;
  readonly askPerChannelPerHour: number;
  readonly dailyTokens: number;
}

export interface RuntimeConfig {
  /** A directory of plugin modules (each exports an executor for one action type). */
  readonly pluginsDir: string | undefined;
  readonly secretsDir: string | undefined;
  /** AITWS_SECRET_<NAME> variables, by NAME as written after the prefix. */
  readonly secretVariables: Readonly<Record<string, string>>;
  /** Largest output one action may keep (JSON bytes). */
  readonly maxOutputBytes: number;
  readonly httpMaxResponseBytes: number;
  readonly retentionDays: number;
  readonly workerConcurrency: number;
  /** The signed webhook (POST /hooks/…): undefined when AITWS_WEBHOOK_SECRET is unset. */
  readonly webhooks: { readonly secret: string; readonly baseUrl: string } | undefined;
  /** Run and workflow pages (signed links): undefined when AITWS_PAGE_SECRET is unset. */
  readonly pages?: PageSettings;
  /** AI steps: budget, prices, what the Anthropic provider may receive, cache and token limits. */
  readonly ai: AiConfig;
  /** /package: the signing key and where the registry credentials are. */
  readonly packaging: PackagingSettings;
}

export interface Config {
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  readonly redisTimeoutMs: number;
  readonly sessionTtlSeconds: number;
  readonly historyLimit: number;
  readonly limits: Limits;
  /** Caps per workspace library (/save name=…), enforced by the session store. */
  readonly library: LibraryLimits;
  /** Entries kept per channel's audit stream in Redis (the file store keeps every line). */
  readonly auditMaxLength: number;
  /** Workspace admins and what people without a grant may do. */
  readonly access: AccessPolicy;
  /** Unset means each mode picks its own default (the console stays quiet, servers log info). */
  readonly logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  readonly http: HttpConfig;
  /** Undefined when Slack is not configured (no SLACK_BOT_TOKEN). */
  readonly slack: SlackConfig | undefined;
  /** Undefined when Discord is not configured (neither DISCORD_TOKEN nor DISCORD_PUBLIC_KEY). */
  readonly discord: DiscordConfig | undefined;
  readonly anthropic: AnthropicConfig;
  readonly runtime: RuntimeConfig;
}

function slackConfig(e: z.infer<typeof EnvSchema>): SlackConfig | undefined {
  if (e.SLACK_BOT_TOKEN === undefined) return undefined;
  if (e.SLACK_APP_TOKEN === undefined && e.SLACK_SIGNING_SECRET === undefined) {
    throw new AitwsError(
      'CONFIG',
      'Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode).',
    );
  }
  return {
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    appToken: e.SLACK_APP_TOKEN,
    apiUrl: e.SLACK_API_URL,
  };
}

function discordConfig(e: z.infer<typeof EnvSchema>): DiscordConfig | undefined {
  if (e.DISCORD_TOKEN === undefined && e.DISCORD_PUBLIC_KEY === undefined) return undefined;
  if (e.DISCORD_APPLICATION_ID === undefined) {
    throw new AitwsError('CONFIG', 'Discord needs DISCORD_APPLICATION_ID as well.');
  }
  return {
    token: e.DISCORD_TOKEN,
    applicationId: e.DISCORD_APPLICATION_ID,
    publicKey: e.DISCORD_PUBLIC_KEY,
    apiUrl: e.DISCORD_API_URL,
  };
}

function httpConfig(e: z.infer<typeof EnvSchema>): HttpConfig {
  // Node refuses a header timeout longer than the request timeout, which includes it.
  if (e.AITWS_HTTP_HEADERS_TIMEOUT_MS > e.AITWS_HTTP_REQUEST_TIMEOUT_MS) {
    throw new AitwsError(
      'CONFIG',
      'AITWS_HTTP_HEADERS_TIMEOUT_MS must not exceed AITWS_HTTP_REQUEST_TIMEOUT_MS.',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    metricsPort: e.METRICS_PORT,
    headersTimeoutMs: e.AITWS_HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.AITWS_HTTP_REQUEST_TIMEOUT_MS,
    maxConnections: e.AITWS_HTTP_MAX_CONNECTIONS,
  };
}

type EnvName = keyof typeof EnvSchema.shape;

/** The groups of variables a program reads; a subcommand names the ones it uses. */
export type ConfigPart =
  | 'storage'
  | 'limits'
  | 'access'
  | 'log'
  | 'http'
  | 'slack'
  | 'discord'
  | 'assistant'
  | 'runtime';

const PART_VARIABLES: Readonly<Record<ConfigPart, readonly EnvName[]>> = {
  storage: [
    'AITWS_DATA_DIR',
    'REDIS_URL',
    'AITWS_REDIS_PREFIX',
    'AITWS_REDIS_TIMEOUT_MS',
    'AITWS_SESSION_TTL_DAYS',
    'AITWS_HISTORY_LIMIT',
    'AITWS_LIBRARY_MAX_ENTRIES',
    'AITWS_LIBRARY_MAX_BYTES',
    'AITWS_AUDIT_MAX_LENGTH',
  ],
  access: ['AITWS_ADMINS', 'AITWS_DEFAULT_PRIVILEGES'],
  limits: [
    'AITWS_MAX_DOCUMENT_BYTES',
    'AITWS_MAX_LIST_ENTRIES',
    'AITWS_MAX_STRING_BYTES',
    'AITWS_MAX_NESTING',
  ],
  log: ['LOG_LEVEL'],
  http: [
    'PORT',
    'HOST',
    'METRICS_PORT',
    'AITWS_HTTP_HEADERS_TIMEOUT_MS',
    'AITWS_HTTP_REQUEST_TIMEOUT_MS',
    'AITWS_HTTP_MAX_CONNECTIONS',
  ],
  slack: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL'],
  discord: ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID', 'DISCORD_PUBLIC_KEY', 'DISCORD_API_URL'],
  assistant: [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'AITWS_MODEL',
    'AITWS_ASK_PER_USER_PER_MINUTE',
    'AITWS_ASK_PER_CHANNEL_PER_HOUR',
    'AITWS_ASK_DAILY_TOKENS',
  ],
  runtime: [
    'AITWS_PLUGINS',
    'AITWS_SECRETS_DIR',
    'AITWS_MAX_OUTPUT_BYTES',
    'AITWS_HTTP_MAX_RESPONSE_BYTES',
    'AITWS_RUN_RETENTION_DAYS',
    'AITWS_WORKER_CONCURRENCY',
    'AITWS_WEBHOOK_SECRET',
    'AITWS_PUBLIC_URL',
    'AITWS_PAGE_SECRET',
    'AITWS_PAGE_LINK_TTL',
    ...AI_VARIABLES,
    ...OCI_VARIABLES,
  ],
};

export const ALL_CONFIG_PARTS: readonly ConfigPart[] = [
  'storage',
  'limits',
  'access',
  'log',
  'http',
  'slack',
  'discord',
  'assistant',
  'runtime',
];

/** Every variable the schema knows, by part: a variable in no part would never be read. */
export function variablesByPart(): Readonly<Record<ConfigPart, readonly string[]>> {
  return PART_VARIABLES;
}

export const KNOWN_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

/** Only the variables of `parts`: a subcommand is never stopped by a variable it does not read. */
function variablesOf(
  env: Readonly<Record<string, string | undefined>>,
  parts: readonly ConfigPart[],
): Record<string, string | undefined> {
  const picked: Record<string, string | undefined> = {};
  for (const part of parts) for (const name of PART_VARIABLES[part]) picked[name] = env[name];
  return picked;
}

/**
 * The configuration from `env`, validating only the variables of `parts` (all by default); the
 * other parts take their defaults (no Slack, no Discord, no assistant key).
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  parts: readonly ConfigPart[] = ALL_CONFIG_PARTS,
): Config {
  const parsed = EnvSchema.safeParse(variablesOf(env, parts));
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
    library: { maxEntries: e.AITWS_LIBRARY_MAX_ENTRIES, maxBytes: e.AITWS_LIBRARY_MAX_BYTES },
    auditMaxLength: e.AITWS_AUDIT_MAX_LENGTH,
    access: {
      admins: new Set(e.AITWS_ADMINS ?? []),
      defaultPrivileges: (e.AITWS_DEFAULT_PRIVILEGES ?? ['read', 'write']).filter(isPrivilege),
    },
    logLevel: e.LOG_LEVEL,
    http: httpConfig(e),
    slack: slackConfig(e),
    discord: discordConfig(e),
    anthropic: {
      apiKey: e.ANTHROPIC_API_KEY,
      baseUrl: e.ANTHROPIC_BASE_URL,
      model: e.AITWS_MODEL,
      askPerUserPerMinute: e.AITWS_ASK_PER_USER_PER_MINUTE,
      askPerChannelPerHour: e.AITWS_ASK_PER_CHANNEL_PER_HOUR,
      dailyTokens: e.AITWS_ASK_DAILY_TOKENS,
    },
    runtime: {
      pluginsDir: e.AITWS_PLUGINS,
      secretsDir: e.AITWS_SECRETS_DIR,
      secretVariables: parts.includes('runtime') ? secretVariables(env) : {},
      maxOutputBytes: e.AITWS_MAX_OUTPUT_BYTES,
      httpMaxResponseBytes: e.AITWS_HTTP_MAX_RESPONSE_BYTES,
      retentionDays: e.AITWS_RUN_RETENTION_DAYS,
      workerConcurrency: e.AITWS_WORKER_CONCURRENCY,
      webhooks:
        e.AITWS_WEBHOOK_SECRET === undefined
          ? undefined
          : {
              secret: e.AITWS_WEBHOOK_SECRET,
              baseUrl: (e.AITWS_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
            },
      ...pagesConfig(e),
      ai: aiConfig(e),
      packaging: packagingConfig(e),
    },
  };
}

function secretVariables(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (name.startsWith(SECRET_VARIABLE_PREFIX) && value !== undefined && value !== '')
      secrets[name.slice(SECRET_VARIABLE_PREFIX.length)] = value;
  return secrets;
}

/** Run pages are on only with AITWS_PAGE_SECRET; links point at AITWS_PUBLIC_URL. */
function pagesConfig(e: z.infer<typeof EnvSchema>): { pages?: PageSettings } {
  if (e.AITWS_PAGE_SECRET === undefined) return {};
  const baseUrl = (e.AITWS_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return { pages: { secret: e.AITWS_PAGE_SECRET, baseUrl, ttlSeconds: e.AITWS_PAGE_LINK_TTL } };
}
