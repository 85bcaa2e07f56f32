/**
 * The invocation envelope recorded for every model call (issue #17, point 2), the determinism
 * envelope enforced on it (point 9) and the request fingerprint that caching (point 10) and replay
 * key responses by.
 */
import { AitwsError } from '../../errors.js';
import { fingerprint } from './canonical.js';
import type { PromptInput } from './prompt-plan.js';

export const EXECUTION_MODES = ['strict', 'seeded', 'logged', 'default'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

export interface ControlParameters {
  readonly max_tokens: number;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly seed?: number;
  readonly stop?: readonly string[];
}

/** A pinned model id, or a class the provider registry resolves (e.g. "fast", "vision"). */
export type ModelRef = { readonly id: string } | { readonly class: string };

export interface Origin {
  readonly platform: string;
  readonly workspace: string;
  readonly channel: string;
  readonly run: string;
  readonly action: string;
  readonly attempt: number;
}

export interface InvocationEnvelope {
  readonly capability: string;
  readonly model: ModelRef;
  readonly version_hint?: string;
  readonly input: PromptInput;
  readonly control: ControlParameters;
  readonly execution_mode: ExecutionMode;
  readonly correlation_id: string;
  readonly origin: Origin;
}

/** Bumped whenever the fingerprint's material changes shape, so old cache entries stop matching. */
const FINGERPRINT_VERSION = 1;

/**
 * The control parameters a call is sent with under `mode`, or a refusal. Modes as aiwg defines
 * them (agentic/code/frameworks/sdlc-complete/schemas/flows/execution-mode.yaml):
 *   strict: "temperature=0, fixed seed", greedy sampling; its validation rules say "Strict mode
 *     requires temperature=0" and "Strict mode requires fixed seed". Temperature defaults to 0,
 *     any other is refused; top_p must be unset or 1 (greedy), and 1 is dropped as it means unset;
 *   seeded: "Fixed seed with normal temperature"; "Seeded mode requires fixed seed";
 *   logged, default: parameters as declared (logged differs in what is recorded, not what is sent).
 * Provider APIs that take no seed (Anthropic's) still get it recorded: the schema's provenance
 * fields require it for strict and seeded, and replay compares against it.
 */
export function applyDeterminism(control: ControlParameters, mode: ExecutionMode): ControlParameters {
  checkControl(control);
  if (mode === 'strict') return strictControl(control);
  if (mode === 'seeded' && control.seed === undefined)
    throw needsSeed('seeded', 'Fixed seed with normal temperature');
  return control;
}

export interface EnvelopeFields extends Omit<InvocationEnvelope, 'execution_mode'> {
  readonly execution_mode?: string;
}

/** The envelope with its mode checked and its control parameters under that mode. */
export function buildEnvelope(fields: EnvelopeFields): InvocationEnvelope {
  const mode = parseExecutionMode(fields.execution_mode ?? 'default');
  return { ...fields, execution_mode: mode, control: applyDeterminism(fields.control, mode) };
}

export function parseExecutionMode(raw: string): ExecutionMode {
  if ((EXECUTION_MODES as readonly string[]).includes(raw)) return raw as ExecutionMode;
  throw new AitwsError('VALIDATION', `execution_mode "${raw}" is not a mode.`, {
    hint: `Use one of ${EXECUTION_MODES.map((mode) => `"${mode}"`).join(', ')}.`,
  });
}

/**
 * What determines the model's answer, and nothing else: capability (one model id may both embed
 * and generate), model, version hint, input, control and mode. Correlation id and origin (run,
 * attempt, channel...) are left out so identical requests from different runs share a cache key.
 */
export function fingerprintMaterial(envelope: InvocationEnvelope): Readonly<Record<string, unknown>> {
  return {
    v: FINGERPRINT_VERSION,
    capability: envelope.capability,
    model: envelope.model,
    version_hint: envelope.version_hint ?? null,
    input: envelope.input,
    control: envelope.control,
    execution_mode: envelope.execution_mode,
  };
}

/** `sha256:` + hex of the canonical JSON of `fingerprintMaterial(envelope)`. */
export function requestFingerprint(envelope: InvocationEnvelope): string {
  return fingerprint(fingerprintMaterial(envelope));
}

function strictControl(control: ControlParameters): ControlParameters {
  if (control.temperature !== undefined && control.temperature !== 0) {
    throw conflict(`temperature = ${control.temperature}`, 'temperature 0');
  }
  if (control.top_p !== undefined && control.top_p !== 1) {
    throw conflict(`top_p = ${control.top_p}`, 'greedy sampling (top_p unset or 1)');
  }
  if (control.seed === undefined) throw needsSeed('strict', 'temperature=0, fixed seed');
  const { top_p: _unused, ...rest } = control;
  return { ...rest, temperature: 0 };
}

function checkControl(control: ControlParameters): void {
  if (!Number.isSafeInteger(control.max_tokens) || control.max_tokens < 1) {
    throw invalid(`max_tokens must be a positive whole number, got ${control.max_tokens}.`);
  }
  const { temperature, top_p: topP, seed, stop } = control;
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0)) {
    throw invalid(`temperature must be a number of 0 or more, got ${temperature}.`);
  }
  if (topP !== undefined && !(Number.isFinite(topP) && topP > 0 && topP <= 1)) {
    throw invalid(`top_p must be a number above 0 and at most 1, got ${topP}.`);
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw invalid(`seed must be a whole number, got ${seed}.`);
  }
  if (stop?.some((sequence) => sequence === '')) throw invalid('stop sequences must not be empty.');
}

function conflict(declared: string, required: string): AitwsError {
  return new AitwsError(
    'VALIDATION',
    `execution_mode = "strict" conflicts with ${declared}: strict mode requires ${required}.`,
    { hint: `Remove ${declared.split(' ')[0]} or choose execution_mode = "seeded", "logged" or "default".` },
  );
}

function needsSeed(mode: ExecutionMode, meaning: string): AitwsError {
  return new AitwsError(
    'VALIDATION',
    `execution_mode = "${mode}" requires a seed (${meaning}); none was declared.`,
    {
      hint: 'Declare a fixed whole number, e.g. seed = 42.',
    },
  );
}

function invalid(message: string): AitwsError {
  return new AitwsError('VALIDATION', message);
}
