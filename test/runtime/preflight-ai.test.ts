/**
 * Pre-flight of AI steps through preflight() itself, on documents written as TOML: a capability
 * nobody provides, a model no provider serves, a fallback chain that comes back to its primary, a
 * malformed ensemble, a cost_ceiling that max_tokens alone exceeds, and data a provider may not
 * receive are each refused before the run with where and what to do; a document without them
 * gets its plan.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseDocument } from '../../src/document/index.js';
import {
  type AiPreflightOptions,
  anthropicProvider,
  type ProviderEntry,
  ProviderRegistry,
} from '../../src/runtime/ai/capabilities.js';
import { checkModelFallbacks } from '../../src/runtime/ai/fallback.js';
import { defaultPriceTable } from '../../src/runtime/ai/pricing.js';
import { type Executor, executorRegistry } from '../../src/runtime/executor.js';
import type { PreflightProblem } from '../../src/runtime/plan-types.js';
import { type PreflightOptions, preflight } from '../../src/runtime/preflight.js';
import { environmentSecrets } from '../../src/runtime/secrets.js';

/** Takes any parameters: the AI checks under test are preflightAi's, not an executor's own. */
const aiInvoke: Executor<Record<string, unknown>> = {
  type: 'ai.invoke',
  summary: 'Asks a model.',
  params: z.record(z.string(), z.unknown()),
  run: async () => ({ kind: 'done', output: { text: 'ok' } }),
};

const localModels: ProviderEntry = {
  name: 'local',
  capabilities: ['language_model.generative'],
  compliance: { provider: 'local', allows: ['PII', 'PHI'], regions: ['eu'] },
  models: ['local-*'],
};

function options(ai: Partial<AiPreflightOptions> = {}): PreflightOptions {
  return {
    executors: executorRegistry([aiInvoke]),
    secrets: environmentSecrets({}),
    ai: { registry: new ProviderRegistry(), prices: defaultPriceTable, ...ai },
  };
}

/** One stage "Review" whose single action "Ask" is `ai.invoke` with `fields` in its `with`. */
function document(fields: string, extra = ''): string {
  return `
[[stages]]
name = "Review"
[[stages.actions]]
name = "Ask"
type = "ai.invoke"
[stages.actions.with]
prompt = "Summarise {{ inputs.text }}"
${fields}
${extra}`;
}

function problems(text: string, with_: PreflightOptions = options()): readonly PreflightProblem[] {
  const result = preflight(parseDocument(text), with_);
  expect(result.plan === undefined).toBe(result.problems.length > 0);
  return result.problems;
}

const AT = 'stages[Review].actions[Ask].with';

describe('pre-flight of AI steps', () => {
  it('gives a well-formed AI step its plan', () => {
    const text = document(`model = "claude-sonnet-5-5"
fallback = ["claude-haiku-5-5"]
max_tokens = 512
cost_ceiling = 0.5
data_classification = ["PUBLIC"]
ensemble = { members = 3, models = ["claude-sonnet-5-5", "claude-opus-5-5"], vote = "majority" }`);
    const result = preflight(parseDocument(text), options());
    expect(result.problems).toEqual([]);
    expect(result.plan?.stages[0]?.actions[0]?.type).toBe('ai.invoke');
  });

  it('refuses a capability nobody provides, with the same message every time', () => {
    const text = document('capability = "embedding.vectorize"');
    const expected = {
      code: 'PARAMETER',
      where: `${AT}.capability`,
      message:
        'No provider offers embedding.vectorize; configured: anthropic (language_model.generative, vision.image_caption).',
    };
    expect(problems(text)).toEqual([expected]);
    expect(problems(text)).toEqual([expected]);
  });

  it('refuses a model no provider serves, at the model', () => {
    expect(problems(document('model = "gpt-x"'))).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.model`,
        message: 'No provider offers language_model.generative with model gpt-x; anthropic serves claude-*.',
      },
    ]);
  });

  it('refuses a fallback chain that names the primary again, directly or through model fallbacks', () => {
    const direct = document(
      'model = "claude-sonnet-5-5"\nfallback = ["claude-haiku-5-5", "claude-sonnet-5-5"]',
    );
    expect(problems(direct)).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.fallback`,
        message:
          "fallback lists claude-sonnet-5-5, the action's own model; a fallback must be another model.",
      },
    ]);
    const modelFallbacks = {
      'claude-haiku-5-5': ['claude-opus-5-5'],
      'claude-opus-5-5': ['claude-sonnet-5-5'],
    };
    const through = document('model = "claude-sonnet-5-5"\nfallback = ["claude-haiku-5-5"]');
    expect(problems(through, options({ modelFallbacks }))).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.fallback`,
        message:
          'fallback chain has a cycle: claude-sonnet-5-5 → claude-haiku-5-5 → claude-opus-5-5 → claude-sonnet-5-5. Remove one of these fallbacks.',
      },
    ]);
    // Configuration whose own fallbacks loop is refused on its own, before any document.
    expect(checkModelFallbacks({ ...modelFallbacks, 'claude-sonnet-5-5': ['claude-haiku-5-5'] })).toEqual([
      expect.objectContaining({
        kind: 'cycle',
        path: ['claude-haiku-5-5', 'claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5'],
      }),
    ]);
  });

  it('refuses a malformed ensemble field by field, and ensemble models no provider serves', () => {
    const bad = document('ensemble = { members = 12, models = ["claude-opus-5-5"], vote = "loudest" }');
    expect(problems(bad).map((found) => [found.where, found.message])).toEqual([
      [`${AT}.ensemble.members`, expect.stringMatching(/^ensemble: Too big: .*9/)],
      [`${AT}.ensemble.vote`, 'ensemble: vote must be "majority" or "field:NAME"'],
    ]);
    const unserved = document('ensemble = { models = ["claude-opus-5-5", "gpt-x"] }');
    expect(problems(unserved)).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.ensemble.models`,
        message: 'No provider offers language_model.generative with model gpt-x; anthropic serves claude-*.',
      },
    ]);
  });

  it('refuses a cost_ceiling that max_tokens of output alone exceeds, with the numbers', () => {
    const text = document('model = "claude-opus-5-5"\nmax_tokens = 8000\ncost_ceiling = "$0.05"');
    expect(problems(text)).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.cost_ceiling`,
        message:
          'max_tokens = 8000 on claude-opus-5-5 may cost up to $0.16 in output alone, over the cost_ceiling of $0.05.',
      },
    ]);
    expect(
      problems(document('model = "claude-opus-5-5"\nmax_tokens = 2000\ncost_ceiling = "$0.05"')),
    ).toEqual([]);
  });

  it('refuses data the provider does not allow before the run, with where and a fix', () => {
    const phi = document('model = "claude-sonnet-5-5"\ndata_classification = ["PHI"]');
    expect(problems(phi)).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.data_classification`,
        message:
          'This AI step handles PHI data, which provider anthropic does not allow (it allows only PUBLIC data). Use a provider whose compliance allows PHI, or send it no such data.',
      },
    ]);
    const allowing = new ProviderRegistry([anthropicProvider({ allows: ['PHI'] })]);
    expect(problems(phi, options({ registry: allowing }))).toEqual([]);
    expect(problems(document('data_classification = "PHI"'))).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.data_classification`,
        message: 'data_classification must be a list of PII, PHI, PROPRIETARY, PUBLIC, e.g. ["PII"].',
      },
    ]);
  });

  it('checks every provider the step may reach: a fallback to one that may not receive the data', () => {
    const registry = new ProviderRegistry([anthropicProvider(), localModels]);
    const safe = document('model = "local-1"\ndata_classification = ["pii"]\nregion = "EU"');
    expect(problems(safe, options({ registry }))).toEqual([]);
    const leaking = document(
      'model = "local-1"\nfallback = ["claude-haiku-5-5"]\ndata_classification = ["PII"]',
    );
    expect(problems(leaking, options({ registry }))).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.data_classification`,
        message: expect.stringMatching(
          /^This AI step handles PII data, which provider anthropic does not allow/,
        ),
      },
    ]);
    const elsewhere = document('model = "claude-haiku-5-5"\nregion = "eu"');
    expect(problems(elsewhere, options({ registry }))).toEqual([
      {
        code: 'PARAMETER',
        where: `${AT}.region`,
        message:
          'This AI step requires region eu, and provider anthropic declares no regions. Use a provider that declares region eu.',
      },
    ]);
  });

  it("checks a handler's own ai.invoke too", () => {
    const handler = `
[[handlers]]
name = "Escalate"
action = "ai.invoke"
with = { prompt = "Explain the failure", capability = "audio.transcribe" }`;
    expect(problems(document('', handler))).toEqual([
      {
        code: 'PARAMETER',
        where: 'handlers[Escalate].with.capability',
        message: expect.stringMatching(/^No provider offers audio\.transcribe; configured: anthropic/),
      },
    ]);
  });
});
