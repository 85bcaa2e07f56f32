/**
 * Safety policies: the TOML shape validated (bad patterns refused with RE2's reason and their
 * index), each decision on input and output, the most severe winning, events that carry counts but
 * never the matched text, a hostile pattern and a megabyte of text checked quickly.
 */
import { describe, expect, it } from 'vitest';
import {
  checkOutput,
  checkPrompt,
  type SafetyOutcome,
  type SafetyPolicy,
  type SafetyPolicyInput,
  safetyPolicySchema,
  topicPattern,
} from '../../../src/runtime/ai/safety.js';

function policy(input: SafetyPolicyInput = {}): SafetyPolicy {
  return safetyPolicySchema.parse(input);
}

function issues(input: unknown): string[] {
  const result = safetyPolicySchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function kinds(outcome: SafetyOutcome): string[] {
  return outcome.events.map((event) => `${event.stage} ${event.kind} ${event.count} ${event.decision}`);
}

describe('the policy', () => {
  it('has defaults: PII warned about on both stages, topic and pattern violations blocked', () => {
    expect(policy()).toEqual({
      disallowed_topics: [],
      disallowed_patterns: [],
      on_violation: 'block',
      pii: 'warn',
      pii_kinds: ['email', 'phone', 'card', 'key'],
      stages: ['input', 'output'],
    });
  });

  it('refuses a malformed pattern with its index and RE2 reason', () => {
    const [problem] = issues({ disallowed_patterns: ['ok', '(unclosed'] });
    expect(problem).toMatch(
      /^disallowed_patterns\.1: Invalid regular expression "\(unclosed": missing closing \)/,
    );
  });

  it('refuses lookaround, patterns matching empty text, unknown keys and bad decisions', () => {
    expect(issues({ disallowed_patterns: ['(?=x)'] })[0]).toMatch(/^disallowed_patterns\.0: Invalid regular/);
    expect(issues({ disallowed_patterns: ['a*'] })).toEqual([
      'disallowed_patterns.0: "a*" matches empty text',
    ]);
    expect(issues({ topics: ['x'] })[0]).toMatch(/Unrecognized key/);
    expect(issues({ pii: 'shrug' })[0]).toMatch(/^pii: /);
    expect(issues({ on_violation: 'redact' })[0]).toMatch(/^on_violation: /);
    const topics = issues({ disallowed_topics: ['  ', '!!'] }).map((issue) => issue.split(':')[0]);
    expect(new Set(topics)).toEqual(new Set(['disallowed_topics.0', 'disallowed_topics.1']));
  });
});

describe('topics: a keyword filter', () => {
  const topics = policy({ disallowed_topics: ['salary negotiation', 'C++'] });

  it('matches whole words and phrases case-insensitively across any whitespace', () => {
    const outcome = checkPrompt(
      'About SALARY\n  Negotiation, and salary negotiation again. Also c++.',
      topics,
    );
    expect(outcome.decision).toBe('block');
    expect(outcome.events).toEqual([
      { type: 'safety.violation', stage: 'input', kind: 'topic', count: 2, decision: 'block', rule: 0 },
      { type: 'safety.violation', stage: 'input', kind: 'topic', count: 1, decision: 'block', rule: 1 },
    ]);
  });

  it('does not match inside words or paraphrases', () => {
    expect(
      checkPrompt('salary negotiations, the negotiation of salaries, presalary negotiation', topics).decision,
    ).toBe('allow');
    expect(topicPattern('naïve').test('très naïve.')).toBe(true);
    expect(topicPattern('naïve').test('naïveté')).toBe(false);
  });
});

describe('patterns', () => {
  it('counts RE2 matches and applies on_violation', () => {
    const outcome = checkPrompt(
      'PRJ-1234 and PRJ-9999 are Internal Use Only',
      policy({
        disallowed_patterns: ['PRJ-[0-9]{4}', '(?i)internal use only'],
        on_violation: 'route-to-human',
      }),
    );
    expect(outcome.decision).toBe('route-to-human');
    expect(kinds(outcome)).toEqual(['input pattern 2 route-to-human', 'input pattern 1 route-to-human']);
  });

  it('checks catastrophic-backtracking patterns against hostile text quickly', () => {
    // Exponential for a backtracking engine: long runs the pattern almost matches, then a mismatch.
    const hostile = policy({ disallowed_patterns: ['(a+)+$', '(x|x)*y', '(a|aa)+b'] });
    const text = `${'a'.repeat(100_000)}!${'x'.repeat(100_000)}`;
    const started = performance.now();
    expect(checkPrompt(text, hostile).decision).toBe('allow');
    expect(checkPrompt(`${text}ab`, hostile).decision).toBe('block');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('PII decisions', () => {
  const text =
    'Reach ada@example.com or +1 415 555 2671; card 4111 1111 1111 1111; key AKIAIOSFODNN7EXAMPLE.';

  it.each(['warn', 'block', 'route-to-human'] as const)('%s: one event per kind, with counts', (pii) => {
    const outcome = checkPrompt(text, policy({ pii }));
    expect(outcome.decision).toBe(pii);
    expect(kinds(outcome)).toEqual([
      `input pii.email 1 ${pii}`,
      `input pii.phone 1 ${pii}`,
      `input pii.card 1 ${pii}`,
      `input pii.key 1 ${pii}`,
    ]);
  });

  it('redact: gives the text with labels in place of the findings', () => {
    const outcome = checkOutput(text, policy({ pii: 'redact' }));
    expect(outcome).toMatchObject({
      decision: 'redact',
      text: 'Reach [EMAIL] or [PHONE]; card [CARD]; key AKIA[KEY].',
    });
    expect(outcome.events.every((event) => event.stage === 'output')).toBe(true);
  });

  it('allow and pii_kinds narrow what is looked for', () => {
    expect(checkPrompt(text, policy({ pii: 'allow' }))).toEqual({ decision: 'allow', events: [] });
    expect(kinds(checkPrompt(text, policy({ pii: 'block', pii_kinds: ['card'] })))).toEqual([
      'input pii.card 1 block',
    ]);
  });

  it('allows clean text with no events', () => {
    expect(
      checkPrompt('Summarise the release notes for v1.2.3 (2024-01-15).', policy({ pii: 'block' })),
    ).toEqual({
      decision: 'allow',
      events: [],
    });
  });
});

describe('decisions combined', () => {
  it('takes the most severe: a blocked topic beats redaction, redaction beats a warning', () => {
    const blocked = checkPrompt(
      'weapons for ada@example.com',
      policy({ disallowed_topics: ['weapons'], pii: 'redact' }),
    );
    expect(blocked).toEqual({ decision: 'block', events: expect.any(Array) });
    const redacted = checkPrompt(
      'weapons for ada@example.com',
      policy({ disallowed_topics: ['weapons'], on_violation: 'warn', pii: 'redact' }),
    );
    expect(redacted).toMatchObject({ decision: 'redact', text: 'weapons for [EMAIL]' });
    expect(kinds(redacted)).toEqual(['input topic 1 warn', 'input pii.email 1 redact']);
  });

  it('skips a stage the policy leaves out', () => {
    const inputOnly = policy({ disallowed_topics: ['weapons'], stages: ['input'] });
    expect(checkOutput('weapons', inputOnly)).toEqual({ decision: 'allow', events: [] });
    expect(checkPrompt('weapons', inputOnly).decision).toBe('block');
  });
});

describe('events', () => {
  it('never carry the matched text, topic or pattern', () => {
    const secrets = [
      'ada@example.com',
      '4111 1111 1111 1111',
      'sk-ant-api03-abcdefghijklmnopqrstuv',
      'PRJ-1234',
    ];
    const outcome = checkPrompt(
      `${secrets.join(' ')} project nightingale`,
      policy({
        disallowed_topics: ['project nightingale'],
        disallowed_patterns: ['PRJ-[0-9]+'],
        pii: 'block',
      }),
    );
    const serialised = JSON.stringify(outcome.events);
    for (const secret of [...secrets, 'nightingale', 'PRJ-']) expect(serialised).not.toContain(secret);
    expect(Object.keys(outcome.events[0] ?? {}).sort()).toEqual([
      'count',
      'decision',
      'kind',
      'rule',
      'stage',
      'type',
    ]);
  });
});

describe('size', () => {
  it('checks a megabyte against topics, patterns and PII in well under a second', () => {
    const paragraph = 'Dear team, call +1 415 555 2671 or mail ada@example.com about the launch plan. ';
    const text = paragraph.repeat(Math.ceil(1_048_576 / paragraph.length));
    const full = policy({
      disallowed_topics: ['salary negotiation', 'weapons', 'launch plan'],
      disallowed_patterns: ['PRJ-[0-9]{4}'],
      pii: 'redact',
    });
    const started = performance.now();
    const outcome = checkPrompt(text, full);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(outcome.decision).toBe('block');
  });

  it('blocks text too large to scan', () => {
    expect(kinds(checkPrompt('a'.repeat(5 * 1024 * 1024), policy()))).toEqual(['input too_large 1 block']);
  });
});
