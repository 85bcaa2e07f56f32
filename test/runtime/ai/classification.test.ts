/**
 * Data classification against provider compliance: declared classes and regions refused with
 * messages naming what and by whom, and PII or credentials found in the outgoing text refused even
 * when the action declared nothing, without the text in the error.
 */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import {
  assertDispatchAllowed,
  checkClassification,
  type DispatchRequest,
  dataClassificationSchema,
  type ProviderCompliance,
  providerComplianceSchema,
} from '../../../src/runtime/ai/classification.js';

const publicOnly: ProviderCompliance = { provider: 'anthropic', allows: [], regions: ['us'] };
const piiAllowed: ProviderCompliance = {
  provider: 'eu-host',
  allows: ['PII', 'PROPRIETARY'],
  regions: ['EU'],
};

function refusal(run: () => void): AitwsError {
  try {
    run();
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('schemas', () => {
  it('read classes in either case and refuse unknown ones', () => {
    expect(dataClassificationSchema.parse(['pii', ' Phi '])).toEqual(['PII', 'PHI']);
    expect(dataClassificationSchema.parse(undefined)).toEqual([]);
    expect(dataClassificationSchema.safeParse(['secret']).success).toBe(false);
    expect(providerComplianceSchema.parse({ provider: 'anthropic', allows: ['public'] })).toEqual({
      provider: 'anthropic',
      allows: ['PUBLIC'],
      regions: [],
    });
    expect(providerComplianceSchema.safeParse({ provider: '', allows: [] }).success).toBe(false);
  });
});

describe('checkClassification', () => {
  it('passes public data anywhere and allowed classes to their provider', () => {
    expect(checkClassification(['PUBLIC'], publicOnly)).toBeUndefined();
    expect(checkClassification([], publicOnly)).toBeUndefined();
    expect(checkClassification(['PII', 'PROPRIETARY'], piiAllowed, 'eu')).toBeUndefined();
  });

  it('names the refused classes, the provider and what it allows', () => {
    const error = checkClassification(['PII', 'PHI', 'PII', 'PUBLIC'], piiAllowed, undefined, 'Summarise');
    expect(error).toBeInstanceOf(AitwsError);
    expect(error?.code).toBe('FORBIDDEN');
    expect(error?.message).toBe(
      'Action Summarise handles PHI data, which provider eu-host does not allow (it allows PII, PROPRIETARY and PUBLIC data).',
    );
    expect(error?.details).toEqual(['data_classification: PHI is not allowed by eu-host']);
    expect(checkClassification(['PII'], publicOnly)?.message).toBe(
      'This AI step handles PII data, which provider anthropic does not allow (it allows only PUBLIC data).',
    );
  });

  it('refuses a provider outside the required region, or one that declares none', () => {
    expect(checkClassification(['PUBLIC'], piiAllowed, 'us')?.message).toBe(
      'This AI step requires region us, and provider eu-host runs in EU.',
    );
    expect(checkClassification([], { ...publicOnly, regions: [] }, 'eu', 'Tag')?.message).toBe(
      'Action Tag requires region eu, and provider anthropic declares no regions.',
    );
  });
});

describe('assertDispatchAllowed', () => {
  const base: DispatchRequest = {
    classifications: [],
    compliance: publicOnly,
    texts: [],
    action: 'Summarise',
  };

  it('lets clean text through', () => {
    expect(() =>
      assertDispatchAllowed({ ...base, texts: ['Summarise v1.2.3 from 2024-01-15.'] }),
    ).not.toThrow();
  });

  it('refuses declared PII before looking at the text', () => {
    const error = refusal(() =>
      assertDispatchAllowed({ ...base, classifications: ['PII'], texts: ['clean'] }),
    );
    expect(error.message).toMatch(
      /^Action Summarise handles PII data, which provider anthropic does not allow/,
    );
  });

  it('refuses detected PII for a provider that does not allow it, naming kinds and counts only', () => {
    const texts = ['Mail ada@example.com and bob@example.com', 'card 4111 1111 1111 1111'];
    const error = refusal(() => assertDispatchAllowed({ ...base, texts }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toBe(
      'Action Summarise would send 2 email addresses, a card number to provider anthropic, which does not allow PII.',
    );
    expect(error.details).toEqual(['detected email: 2', 'detected card: 1']);
    const shown = JSON.stringify({ message: error.message, details: error.details, hint: error.hint });
    for (const text of ['ada@', 'bob@', '4111']) expect(shown).not.toContain(text);
  });

  it('sends detected PII to a provider that allows it', () => {
    expect(() =>
      assertDispatchAllowed({ ...base, compliance: piiAllowed, texts: ['call +1 415 555 2671'] }),
    ).not.toThrow();
  });

  it('refuses credentials whatever the provider allows, unless explicitly allowed', () => {
    const texts = ['use sk-ant-api03-abcdefghijklmnopqrstuv'];
    const error = refusal(() => assertDispatchAllowed({ ...base, compliance: piiAllowed, texts }));
    expect(error.message).toBe('Action Summarise would send an API key or token to provider eu-host.');
    expect(error.message).not.toContain('sk-ant');
    expect(() =>
      assertDispatchAllowed({ ...base, compliance: piiAllowed, texts, allowCredentials: true }),
    ).not.toThrow();
  });

  it('accepts text the safety filter has already redacted', () => {
    expect(() =>
      assertDispatchAllowed({ ...base, texts: ['Mail [EMAIL] about card [CARD], key AKIA[KEY]'] }),
    ).not.toThrow();
  });

  it('checks the region too', () => {
    const error = refusal(() => assertDispatchAllowed({ ...base, region: 'eu', texts: ['hello'] }));
    expect(error.details).toEqual(['region: eu is not declared by anthropic']);
  });
});
