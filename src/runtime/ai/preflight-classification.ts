/**
 * Pre-flight of `data_classification` (and `region`) on an `ai.invoke` action (issue #17 point 1):
 * what the action declares it handles is checked against the declared compliance of every
 * provider the action may reach (its own, a fallback's, an ensemble member's), so data a provider
 * may not receive is refused before the run rather than at dispatch, halfway through it.
 */
import type { TomlTable } from '../../document/types.js';
import {
  checkClassification,
  DATA_CLASSES,
  dataClassificationSchema,
  type ProviderCompliance,
} from './classification.js';

/** The field a problem is about, and what is wrong with how to fix it. */
export type Report = (field: 'data_classification' | 'region', message: string) => void;

/** Each provider once, in the order given; nothing when the action declares neither field. */
export function classificationProblems(
  params: TomlTable,
  reached: readonly ProviderCompliance[],
  report: Report,
): void {
  const { data_classification: declared, region: wanted } = params;
  if (declared === undefined && wanted === undefined) return;
  const classes = dataClassificationSchema.safeParse(declared);
  if (!classes.success) {
    report(
      'data_classification',
      `data_classification must be a list of ${DATA_CLASSES.join(', ')}, e.g. ["PII"].`,
    );
    return;
  }
  if (wanted !== undefined && (typeof wanted !== 'string' || wanted.trim() === '')) {
    report('region', 'region must be the name of a region such as "eu", or left out.');
    return;
  }
  const region = wanted?.trim();
  const seen = new Set<string>();
  for (const compliance of reached) {
    if (seen.has(compliance.provider)) continue;
    seen.add(compliance.provider);
    const refused = checkClassification(classes.data, compliance, region);
    if (refused === undefined) continue;
    const field = refused.details[0]?.startsWith('region:') === true ? 'region' : 'data_classification';
    report(field, `${refused.message} ${refused.hint ?? ''}`.trim());
  }
}
