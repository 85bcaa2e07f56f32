/**
 * The `with` table of an `ai.invoke` action, as the executor receives it (templates rendered).
 * Strict: a misspelt field is an error at pre-flight rather than a limit silently not applied.
 *
 *   [stages.actions.with]
 *   prompt = "Classify: {{ inputs.ticket }}"
 *   system = "You sort support tickets."
 *   execution_mode = "strict"
 *   seed = 7
 *   output = { schema = '{"type":"object","required":["label","confidence"]}' }
 *   repair = { max_iterations = 2 }
 *   escalate_below = 0.7
 *   fallback = ["claude-haiku-4-5"]
 */
import { z } from 'zod';
import { isDuration, parseDuration } from '../../document/duration.js';
import { dataClassificationSchema } from './classification.js';
import { ensembleSchema } from './ensemble.js';
import { EXECUTION_MODES } from './envelope.js';
import { NORMALISE_STEPS } from './normalise.js';
import { safetyPolicySchema } from './safety.js';

export const DEFAULT_AI_MAX_TOKENS = 1024;
export const DEFAULT_AI_MAX_TOKENS_CAP = 8192;
export const DEFAULT_ESCALATION_TIMEOUT = '1h';

/** TOML integers may arrive as bigint, and a template renders to a string. */
const wholeNumber = z
  .union([
    z.number(),
    z.bigint().transform(Number),
    z.string().regex(/^\d+$/, 'expected a whole number').transform(Number),
  ])
  .pipe(z.number().int('expected a whole number').min(0, 'must be 0 or more'));

const positiveCount = wholeNumber.pipe(z.number().min(1, 'must be at least 1'));

const decimal = z
  .union([
    z.number(),
    z.bigint().transform(Number),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ])
  .pipe(z.number().finite());

const seconds = z
  .union([z.number(), z.bigint().transform(Number), z.string()])
  .transform((value, context) => {
    if (typeof value === 'number') return value;
    try {
      return Math.round(parseDuration(value) / 1000);
    } catch {
      context.addIssue({ code: 'custom', message: `"${value}" is not a duration (e.g. "1h", "30m")` });
      return z.NEVER;
    }
  })
  .pipe(z.number().int().min(1, 'must be at least 1 second'));

const contextBlock = z.strictObject({
  id: z.string().trim().min(1, 'a context block needs an id'),
  /** The text or data (a `{{ steps.A.output }}` placeholder renders to the value itself). */
  value: z.unknown().refine((value) => value !== undefined, 'a context block needs a value'),
  source: z.enum(['input', 'step', 'file', 'tool']).default('input'),
  /** Where it came from: an input name, a step, a path; the id when absent. */
  ref: z.string().optional(),
  salience: decimal.optional(),
});

/** JSON Schema as a TOML table, or as JSON text (easier to write for nested schemas). */
const schemaValue = z.union([
  z.record(z.string(), z.unknown()),
  z.string().transform((text, context) => {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // Reported below.
    }
    context.addIssue({ code: 'custom', message: 'output.schema must be a table or a JSON object as text' });
    return z.NEVER;
  }),
]);

const outputSpec = z.strictObject({
  schema: schemaValue.optional(),
  regex: z.string().optional(),
  confidence_field: z.string().trim().min(1).max(128).optional(),
});

const driftSpec = z.strictObject({
  metric: z.enum(['validation_failure_rate', 'repairs', 'confidence', 'latency_ms', 'cost_usd']),
  threshold: decimal,
  /** Samples needed before drift is judged at all. */
  min_samples: positiveCount.default(5),
});

export const aiInvokeParams = z.strictObject({
  prompt: z.string().trim().min(1, 'the prompt cannot be empty'),
  system: z.string().optional(),
  model: z.string().trim().min(1, 'name a model or leave model out').optional(),
  capability: z.string().trim().min(1).optional(),
  max_tokens: positiveCount.default(DEFAULT_AI_MAX_TOKENS),
  temperature: decimal.pipe(z.number().min(0).max(2)).optional(),
  top_p: decimal.pipe(z.number().gt(0).max(1)).optional(),
  seed: wholeNumber.optional(),
  stop: z.array(z.string().min(1)).max(8).optional(),
  execution_mode: z.enum(EXECUTION_MODES).default('default'),
  context: z.array(contextBlock).max(100).default([]),
  formatting: z.array(z.string()).max(50).default([]),
  max_context_tokens: positiveCount.optional(),
  trim: z.enum(['recency', 'salience']).default('recency'),
  normalise: z.array(z.enum(NORMALISE_STEPS)).default([]),
  output: outputSpec.optional(),
  repair: z.strictObject({ max_iterations: wholeNumber.pipe(z.number().max(5)) }).optional(),
  escalate_below: decimal.pipe(z.number().min(0).max(1)).optional(),
  /** Who reviews an escalated output (roles, as human.approval's approvers). */
  approvers: z.array(z.string().trim().min(1)).min(1).optional(),
  escalation_timeout: z
    .string()
    .refine(isDuration, 'escalation_timeout must be a duration, e.g. "1h"')
    .default(DEFAULT_ESCALATION_TIMEOUT),
  safety: safetyPolicySchema.optional(),
  data_classification: dataClassificationSchema,
  region: z.string().trim().min(1).optional(),
  latency_budget: z.union([z.string(), z.number(), z.bigint()]).optional(),
  cost_ceiling: z.union([z.string(), z.number(), z.bigint()]).optional(),
  cache: z.boolean().default(false),
  cache_ttl: seconds.optional(),
  ensemble: ensembleSchema.optional(),
  fallback: z.array(z.string().trim().min(1)).max(8).default([]),
  drift: driftSpec.optional(),
  feedback: z.strictObject({ examples: wholeNumber.pipe(z.number().max(20)) }).optional(),
});

export type AiInvokeParams = z.output<typeof aiInvokeParams>;
export type AiContextParam = z.output<typeof contextBlock>;
export type DriftSpec = z.output<typeof driftSpec>;
