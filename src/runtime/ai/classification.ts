/**
 * Data classification against provider compliance: an action declaring
 * `data_classification = ["PII"]` is refused before dispatch when its provider has not declared
 * that it may receive PII (or runs outside the required region), and text that looks like PII or a
 * credential is refused on the same terms even when the action declared nothing.
 *
 * Order in the executor: checkPrompt (safety.ts; `pii = "redact"` replaces findings first), then
 * assertDispatchAllowed on the text actually sent, so what is redacted no longer counts.
 *
 * The error code is FORBIDDEN: errors.ts has no DATA_CLASSIFICATION code yet (its ErrorCode union
 * is closed), and the refusal is a matter of who may receive the data, not of a malformed request.
 */
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import { detectPii, type PiiKind } from './pii.js';

export const DATA_CLASSES = ['PII', 'PHI', 'PROPRIETARY', 'PUBLIC'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

export interface ProviderCompliance {
  readonly provider: string;
  /** What the provider may receive; PUBLIC data goes anywhere whether listed or not. */
  readonly allows: readonly DataClass[];
  /** Where it processes data (`eu`, `us-east-1`…), compared case-insensitively. */
  readonly regions: readonly string[];
}

/** `pii` and `PII` alike: TOML authors write either. */
const dataClass = z
  .string()
  .trim()
  .transform((text) => text.toUpperCase())
  .pipe(z.enum(DATA_CLASSES));

export const dataClassificationSchema = z.array(dataClass).default([]);

export const providerComplianceSchema = z.strictObject({
  provider: z.string().trim().min(1, 'name the provider'),
  allows: z.array(dataClass).default([]),
  regions: z.array(z.string().trim().min(1, 'a region cannot be empty')).default([]),
});

export interface DispatchRequest {
  /** The action's `data_classification`. */
  readonly classifications: readonly DataClass[];
  readonly compliance: ProviderCompliance;
  readonly region?: string;
  /** Every text that leaves for the provider: system prompt, context blocks, user turn. */
  readonly texts: readonly string[];
  /** Named in messages: `Summarise`. */
  readonly action?: string;
  /** Credentials found in the text are refused unless this is true (nothing declares them allowed). */
  readonly allowCredentials?: boolean;
}

/** Undefined when every class may go to the provider (and it runs in the region); otherwise why not. */
export function checkClassification(
  classifications: readonly DataClass[],
  compliance: ProviderCompliance,
  region?: string,
  action?: string,
): AitwsError | undefined {
  const refused = [...new Set(classifications)].filter(
    (item) => item !== 'PUBLIC' && !compliance.allows.includes(item),
  );
  if (refused.length > 0) {
    return refusal(
      `${subject(action)} handles ${refused.join(', ')} data, which provider ${compliance.provider} does not allow (it allows ${allowedList(compliance)}).`,
      `Use a provider whose compliance allows ${refused.join(', ')}, or send it no such data.`,
      refused.map((item) => `data_classification: ${item} is not allowed by ${compliance.provider}`),
    );
  }
  if (region !== undefined && !inRegion(compliance, region)) {
    const where =
      compliance.regions.length === 0 ? 'declares no regions' : `runs in ${compliance.regions.join(', ')}`;
    return refusal(
      `${subject(action)} requires region ${region}, and provider ${compliance.provider} ${where}.`,
      `Use a provider that declares region ${region}.`,
      [`region: ${region} is not declared by ${compliance.provider}`],
    );
  }
  return undefined;
}

/**
 * Throws (FORBIDDEN) unless the declared classes and what the outgoing text holds may all go to
 * the provider: detected emails, phone numbers and card numbers count as PII, detected keys and
 * tokens as credentials. The message names kinds and counts, never the text.
 */
export function assertDispatchAllowed(request: DispatchRequest): void {
  const declared = checkClassification(
    request.classifications,
    request.compliance,
    request.region,
    request.action,
  );
  if (declared !== undefined) throw declared;
  const counts = detectedCounts(request.texts);
  const personal = (['email', 'phone', 'card'] as const).filter((kind) => counts[kind] > 0);
  if (personal.length > 0 && !request.compliance.allows.includes('PII')) {
    throw refusal(
      `${subject(request.action)} would send ${describe(personal, counts)} to provider ${request.compliance.provider}, which does not allow PII.`,
      'Set safety.pii = "redact" on the action, or use a provider whose compliance allows PII.',
      personal.map((kind) => `detected ${kind}: ${counts[kind]}`),
    );
  }
  if (counts.key > 0 && request.allowCredentials !== true) {
    throw refusal(
      `${subject(request.action)} would send ${describe(['key'], counts)} to provider ${request.compliance.provider}.`,
      'Keep keys and tokens out of prompts (a step that needs one takes a secret reference), or set safety.pii = "redact".',
      [`detected key: ${counts.key}`],
    );
  }
}

function detectedCounts(texts: readonly string[]): Record<PiiKind, number> {
  const counts: Record<PiiKind, number> = { email: 0, phone: 0, card: 0, key: 0 };
  for (const text of texts) for (const finding of detectPii(text)) counts[finding.kind] += 1;
  return counts;
}

const NOUNS: Readonly<Record<PiiKind, [string, string]>> = {
  email: ['an email address', 'email addresses'],
  phone: ['a phone number', 'phone numbers'],
  card: ['a card number', 'card numbers'],
  key: ['an API key or token', 'API keys or tokens'],
};

function describe(kinds: readonly PiiKind[], counts: Record<PiiKind, number>): string {
  return kinds
    .map((kind) => (counts[kind] === 1 ? NOUNS[kind][0] : `${counts[kind]} ${NOUNS[kind][1]}`))
    .join(', ');
}

function inRegion(compliance: ProviderCompliance, region: string): boolean {
  const wanted = region.trim().toLowerCase();
  return compliance.regions.some((declared) => declared.trim().toLowerCase() === wanted);
}

function allowedList(compliance: ProviderCompliance): string {
  const allowed = compliance.allows.filter((item) => item !== 'PUBLIC');
  return allowed.length === 0 ? 'only PUBLIC data' : `${allowed.join(', ')} and PUBLIC data`;
}

function subject(action: string | undefined): string {
  return action === undefined ? 'This AI step' : `Action ${action}`;
}

function refusal(message: string, hint: string, details: readonly string[]): AitwsError {
  return new AitwsError('FORBIDDEN', message, { hint, details });
}
