/**
 * Safety filters of an `ai.invoke` action: disallowed topics, disallowed patterns and PII, checked
 * on the prompt before dispatch (checkPrompt) and on the answer after it (checkOutput).
 *
 *   [actions.Summarise.with.safety]
 *   disallowed_topics = ["salary negotiation", "weapons"]
 *   disallowed_patterns = ["(?i)internal use only", "PRJ-[0-9]{4}"]
 *   on_violation = "block"            # topics and patterns: block | warn | route-to-human
 *   pii = "redact"                    # allow | warn | block | route-to-human | redact
 *   pii_kinds = ["email", "card"]     # default: email, phone, card, key
 *   stages = ["input", "output"]      # default: both
 *
 * Topics are a keyword filter, not a classifier: a topic matches where its words appear as whole
 * words, in order, case-insensitively, with any whitespace between them; a paraphrase does not.
 * Patterns are RE2 (re2js via safe-regex.ts), so an author's pattern cannot hang the worker, and a
 * malformed one is refused when the workflow is validated. Events carry counts, never the text.
 */
import { z } from 'zod';
import { compileSafeRegex, RegexError } from '../safe-regex.js';
import { detectPii, MAX_PII_SCAN_CHARS, PII_KINDS, type PiiKind, redactFindings } from './pii.js';

export const SAFETY_DECISIONS = ['allow', 'warn', 'redact', 'route-to-human', 'block'] as const;
export type SafetyDecision = (typeof SAFETY_DECISIONS)[number];
export type SafetyStage = 'input' | 'output';
export type ViolationKind = 'topic' | 'pattern' | `pii.${PiiKind}` | 'too_large';

export interface SafetyViolationEvent {
  readonly type: 'safety.violation';
  readonly stage: SafetyStage;
  readonly kind: ViolationKind;
  readonly count: number;
  /** What this violation asks for; the outcome's decision is the most severe of them. */
  readonly decision: SafetyDecision;
  /** The topic's or pattern's index in the policy (its text is the author's, but may name the data). */
  readonly rule?: number;
}

export type SafetyOutcome =
  | { readonly decision: Exclude<SafetyDecision, 'redact'>; readonly events: readonly SafetyViolationEvent[] }
  | { readonly decision: 'redact'; readonly text: string; readonly events: readonly SafetyViolationEvent[] };

export const SAFETY_LIMITS = Object.freeze({ maxTopics: 100, maxTopicLength: 200, maxPatterns: 50 });
/** Counting stops here: the event says "at least this many", and a pattern hitting everywhere stays cheap. */
export const MAX_COUNTED_MATCHES = 1000;

const topic = z
  .string()
  .trim()
  .min(1, 'a topic cannot be empty')
  .max(SAFETY_LIMITS.maxTopicLength, `a topic is at most ${SAFETY_LIMITS.maxTopicLength} characters`)
  .refine((text) => /[\p{L}\p{N}]/u.test(text), 'a topic needs at least one letter or digit');

const pattern = z.string().superRefine((source, context) => {
  const problem = patternProblem(source);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

export const safetyPolicySchema = z.strictObject({
  disallowed_topics: z.array(topic).max(SAFETY_LIMITS.maxTopics).default([]),
  disallowed_patterns: z.array(pattern).max(SAFETY_LIMITS.maxPatterns).default([]),
  on_violation: z.enum(['warn', 'route-to-human', 'block']).default('block'),
  // Warn by default: a support email in a prompt is common, and blocking it must be a decision.
  pii: z.enum(SAFETY_DECISIONS).default('warn'),
  pii_kinds: z
    .array(z.enum(PII_KINDS))
    .min(1, 'name at least one PII kind')
    .default([...PII_KINDS]),
  stages: z
    .array(z.enum(['input', 'output']))
    .min(1, 'name at least one stage')
    .default(['input', 'output']),
});

export type SafetyPolicyInput = z.input<typeof safetyPolicySchema>;
export type SafetyPolicy = z.output<typeof safetyPolicySchema>;

/** RE2's reason (with the offending fragment) for a pattern that cannot be used; undefined when fine. */
export function patternProblem(source: string): string | undefined {
  try {
    // A pattern that matches empty text matches everywhere: every prompt would be a violation.
    if (compileSafeRegex(source).matcher('').find()) return `${JSON.stringify(source)} matches empty text`;
    return undefined;
  } catch (error) {
    if (error instanceof RegexError) return error.message;
    throw error;
  }
}

/** The prompt, before dispatch. */
export function checkPrompt(text: string, policy: SafetyPolicy): SafetyOutcome {
  return check(text, policy, 'input');
}

/** The model's answer, before any later step or person sees it. */
export function checkOutput(text: string, policy: SafetyPolicy): SafetyOutcome {
  return check(text, policy, 'output');
}

const SEVERITY: Readonly<Record<SafetyDecision, number>> = {
  allow: 0,
  warn: 1,
  redact: 2,
  'route-to-human': 3,
  block: 4,
};

function check(text: string, policy: SafetyPolicy, stage: SafetyStage): SafetyOutcome {
  if (!policy.stages.includes(stage)) return { decision: 'allow', events: [] };
  if (text.length > MAX_PII_SCAN_CHARS) {
    // Unscanned text could hold anything, so it never passes unchecked.
    return { decision: 'block', events: [violation(stage, 'too_large', 1, 'block')] };
  }
  const events = [...topicEvents(text, policy, stage), ...patternEvents(text, policy, stage)];
  let redacted: string | undefined;
  if (policy.pii !== 'allow') {
    const findings = detectPii(text, policy.pii_kinds);
    for (const kind of PII_KINDS) {
      const count = findings.filter((finding) => finding.kind === kind).length;
      if (count > 0) events.push(violation(stage, `pii.${kind}`, count, policy.pii));
    }
    if (policy.pii === 'redact' && findings.length > 0) redacted = redactFindings(text, findings);
  }
  const decision = events.reduce<SafetyDecision>(
    (worst, event) => (SEVERITY[event.decision] > SEVERITY[worst] ? event.decision : worst),
    'allow',
  );
  if (decision === 'redact') return { decision, text: redacted ?? text, events };
  return { decision, events };
}

function topicEvents(text: string, policy: SafetyPolicy, stage: SafetyStage): SafetyViolationEvent[] {
  const events: SafetyViolationEvent[] = [];
  policy.disallowed_topics.forEach((name, rule) => {
    const count = countMatches(text.matchAll(topicPattern(name)));
    if (count > 0) events.push(violation(stage, 'topic', count, policy.on_violation, rule));
  });
  return events;
}

function patternEvents(text: string, policy: SafetyPolicy, stage: SafetyStage): SafetyViolationEvent[] {
  const events: SafetyViolationEvent[] = [];
  policy.disallowed_patterns.forEach((source, rule) => {
    const matcher = compileSafeRegex(source).matcher(text);
    let count = 0;
    while (count < MAX_COUNTED_MATCHES && matcher.find()) count += 1;
    if (count > 0) events.push(violation(stage, 'pattern', count, policy.on_violation, rule));
  });
  return events;
}

/**
 * A topic as a JavaScript regex: its words escaped, whitespace between them, Unicode word edges.
 * Linear: literals and `\s+` runs that a non-space literal ends, so there is one way to match, and
 * each whitespace run is scanned from at most one start (the word before it).
 */
export function topicPattern(name: string): RegExp {
  const words = name.trim().split(/\s+/).map(escapeRegex);
  return new RegExp(`(?<![\\p{L}\\p{N}_])${words.join('\\s+')}(?![\\p{L}\\p{N}_])`, 'giu');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function countMatches(matches: IterableIterator<RegExpMatchArray>): number {
  let count = 0;
  for (const _match of matches) {
    count += 1;
    if (count >= MAX_COUNTED_MATCHES) break;
  }
  return count;
}

function violation(
  stage: SafetyStage,
  kind: ViolationKind,
  count: number,
  decision: SafetyDecision,
  rule?: number,
): SafetyViolationEvent {
  const event = { type: 'safety.violation' as const, stage, kind, count, decision };
  return rule === undefined ? event : { ...event, rule };
}
