import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/runtime/ai/canonical.js';
import {
  buildSnapshot,
  type ExecutionSnapshot,
  hashJson,
  type JsonValue,
  MATCH_STATUSES,
  type SnapshotAiCall,
  type SnapshotInput,
} from '../../../src/runtime/ai/snapshot.js';
import { compareReplay, recordReplay, textSimilarity } from '../../../src/runtime/ai/snapshot-replay.js';
import {
  loadSnapshotDocument,
  nonSchemaSections,
  snapshotErrors,
  snapshotSchema,
} from '../../support/snapshot-schema.js';

const FIXED_ID = '0b6f3c1e-8a52-4d0e-9c37-5f1a2b3c4d5e';

function aiCall(action: string, responseText: string, extra: Partial<SnapshotAiCall> = {}): SnapshotAiCall {
  return {
    action,
    fingerprint: `fp-${action}`,
    envelopeInput: { messages: [{ role: 'user', content: `do ${action}` }] },
    responseText,
    usage: { inputTokens: 120, outputTokens: 40 },
    latencyMs: 12.6,
    costUsd: 0.0011,
    attempts: 1,
    repairs: 0,
    ...extra,
  };
}

function run(calls: readonly SnapshotAiCall[], outputs: JsonValue = { summary: 'all good' }): SnapshotInput {
  return {
    workflow: { name: 'triage', version: '1.2.0', contentHash: 'a'.repeat(64) },
    runId: 'run-42',
    capturedAt: new Date('2026-12-06T12:00:00.000Z'),
    executionMode: 'strict',
    model: {
      id: 'claude-sonnet-4-5',
      provider: 'anthropic',
      temperature: 0,
      topP: 1,
      seed: 7,
      maxTokens: 1024,
    },
    inputs: { ticket: 'Printer on fire', tags: ['hardware', 'urgent'] },
    calls,
    outputs,
  };
}

function snapshot(input: SnapshotInput, options: { hashesOnly?: boolean } = {}): ExecutionSnapshot {
  return buildSnapshot(input, { newId: () => FIXED_ID, ...options });
}

/** A snapshot as JSON would store it, so a test can break it in ways the types forbid. */
function plain(value: ExecutionSnapshot): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

const THREE_CALLS = [
  aiCall('classify', '{"label":"hardware"}', {
    toolCalls: [{ tool: 'lookup', input: { q: 'printer' }, output: ['p1'], at: '2026-12-06T11:59:58Z' }],
  }),
  aiCall('summarise', 'The printer is on fire.', { attempts: 3, repairs: 2, model: 'claude-haiku-4-5' }),
  aiCall('reply', 'We are on it.', { usage: { inputTokens: 10, outputTokens: 5 }, latencyMs: 3 }),
];

describe('the fixture schema', () => {
  it('drops exactly the non-schema sections and compiles in strict mode', () => {
    expect(nonSchemaSections(loadSnapshotDocument())).toEqual([
      'replay',
      'storage',
      'examples',
      'references',
    ]);
    expect(snapshotSchema().required).toEqual([
      'snapshot_id',
      'workflow_id',
      'captured_at',
      'config',
      'inputs',
      'outputs',
    ]);
  });
});

describe('buildSnapshot', () => {
  it.each([
    ['no AI call', []],
    ['one AI call', [aiCall('classify', 'hardware')]],
    ['three AI calls', THREE_CALLS],
  ])('validates against the aiwg schema with %s', (_name, calls) => {
    const built = buildSnapshot(run(calls));
    expect(snapshotErrors(built)).toEqual([]);
    expect(built.snapshot_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(built.ai_calls).toHaveLength(calls.length);
    expect(built.replay_status).toEqual({ replayed: false, replay_count: 0, match_status: 'not_replayed' });
  });

  it('records the configuration, metrics and tool calls of a run', () => {
    const built = snapshot(run(THREE_CALLS));
    expect(built.workflow_id).toBe('triage@1.2.0');
    expect(built.captured_at).toBe('2026-12-06T12:00:00.000Z');
    expect(built.config).toEqual({
      model: { id: 'claude-sonnet-4-5', provider: 'anthropic' },
      execution_mode: 'strict',
      temperature: 0,
      seed: 7,
      max_tokens: 1024,
      top_p: 1,
    });
    expect(built.metrics).toMatchObject({
      duration_ms: 29, // 13 + 13 + 3: each latency rounded to whole ms
      tokens_input: 250,
      tokens_output: 85,
      tool_calls_count: 1,
      iterations: 5,
      ai_calls_count: 3,
      repairs: 2,
    });
    expect(built.metrics.cost_usd).toBeCloseTo(0.0033, 10);
    expect(built.outputs.tool_calls).toEqual([
      {
        tool: 'lookup',
        action: 'classify',
        input_hash: hashJson({ q: 'printer' }),
        output_hash: hashJson(['p1']),
        timestamp: '2026-12-06T11:59:58.000Z',
      },
    ]);
    expect(built.ai_calls.map((call) => call.model)).toEqual([
      'claude-sonnet-4-5',
      'claude-haiku-4-5',
      'claude-sonnet-4-5',
    ]);
    expect(built.ai_calls[1]?.response_hash).toBe(hashJson('The printer is on fire.'));
  });

  it('stores inputs only as hashes, and outputs as hashes only when asked', () => {
    const built = snapshot(run([]), { hashesOnly: true });
    expect(JSON.stringify(built)).not.toContain('Printer on fire');
    expect(JSON.stringify(built)).not.toContain('all good');
    expect(built.outputs.response).toBeUndefined();
    expect(snapshotErrors(built)).toEqual([]);
    expect(snapshot(run([])).outputs.response).toBe('{"summary":"all good"}');
  });

  it('gives identical hashes for identical inputs, whatever their key order', () => {
    const a = snapshot(run(THREE_CALLS));
    const reordered = {
      ...run(THREE_CALLS),
      inputs: { tags: ['hardware', 'urgent'], ticket: 'Printer on fire' },
    };
    const b = snapshot(reordered);
    expect(b.inputs).toEqual(a.inputs);
    expect(b.ai_calls).toEqual(a.ai_calls);
    expect(b.outputs.response_hash).toBe(a.outputs.response_hash);
    const c = snapshot({
      ...run(THREE_CALLS),
      inputs: { ticket: 'Printer on fire', tags: ['urgent', 'hardware'] },
    });
    expect(c.inputs.inputs_hash).not.toBe(a.inputs.inputs_hash);
    expect(c.inputs.input_hashes.ticket).toBe(a.inputs.input_hashes.ticket);
  });

  it('canonicalises JSON with sorted keys and no whitespace', () => {
    expect(canonicalJson({ b: [1, 'x', null], a: { d: true, c: 1.5 } })).toBe(
      '{"a":{"c":1.5,"d":true},"b":[1,"x",null]}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/cannot represent the number NaN/);
  });

  it('refuses values the schema would reject, naming the field', () => {
    const bad = (model: SnapshotInput['model']) => () => buildSnapshot({ ...run([]), model });
    expect(bad({ id: 'm', seed: 1.5 })).toThrow('model.seed must be an integer');
    expect(bad({ id: 'm', temperature: 3 })).toThrow('model.temperature must be a number from 0 to 2');
    expect(() => buildSnapshot({ ...run([]), capturedAt: 'yesterday' })).toThrow('capturedAt must be');
    expect(() => buildSnapshot(run([aiCall('x', 'y', { attempts: 0.5 })]))).toThrow('calls[0].attempts');
  });
});

describe('the schema check', () => {
  it('rejects a snapshot id that is no uuid', () => {
    const broken = { ...plain(snapshot(run([]))), snapshot_id: 'snap-001-example' };
    expect(snapshotErrors(broken)).toEqual([
      expect.objectContaining({
        instancePath: '/snapshot_id',
        keyword: 'format',
        params: { format: 'uuid' },
      }),
    ]);
  });

  it('rejects a captured_at without a time zone', () => {
    const broken = { ...plain(snapshot(run([]))), captured_at: '2026-12-06 12:00' };
    expect(snapshotErrors(broken)).toEqual([
      expect.objectContaining({
        instancePath: '/captured_at',
        keyword: 'format',
        params: { format: 'date-time' },
      }),
    ]);
  });

  it('rejects a snapshot without its required fields', () => {
    const { workflow_id: _dropped, ...broken } = plain(snapshot(run([])));
    const config = { ...(broken.config as Record<string, unknown>), execution_mode: 'yolo' };
    expect(snapshotErrors({ ...broken, config })).toEqual([
      expect.objectContaining({
        instancePath: '',
        keyword: 'required',
        params: { missingProperty: 'workflow_id' },
      }),
      expect.objectContaining({ instancePath: '/config/execution_mode', keyword: 'enum' }),
    ]);
  });

  it('accepts every match status a replay records', () => {
    const original = snapshot(run([]));
    for (const status of MATCH_STATUSES) {
      expect(snapshotErrors(recordReplay(original, status, new Date('2026-12-07T00:00:00Z')))).toEqual([]);
    }
  });
});

describe('compareReplay', () => {
  const text = (output: JsonValue) => snapshot(run([], output));

  it('exact: identical output hashes, and nothing else', () => {
    expect(compareReplay(text('The printer is on fire.'), text('The printer is on fire.'), 'exact')).toBe(
      'exact_match',
    );
    expect(compareReplay(text('The printer is on fire.'), text('The printer is on fire!'), 'exact')).toBe(
      'no_match',
    );
  });

  it('semantic: token-set similarity against the threshold', () => {
    const before = text('The printer on floor two is on fire, call facilities now');
    const after = text('the PRINTER on floor two is on fire. Call facilities now!');
    expect(compareReplay(before, after, 'semantic')).toBe('semantic_match');
    const reworded = text('The printer on floor two is burning, call facilities now');
    expect(
      textSimilarity(
        'The printer on floor two is on fire, call facilities now',
        'The printer on floor two is burning, call facilities now',
      ),
    ).toBeCloseTo(9 / 11);
    expect(compareReplay(before, reworded, 'semantic')).toBe('no_match');
    expect(compareReplay(before, reworded, 'semantic', 0.8)).toBe('semantic_match');
    expect(() => compareReplay(before, reworded, 'semantic', 1.5)).toThrow(/threshold/);
  });

  it('structural: same keys and types, values may differ', () => {
    const before = text({ label: 'hardware', score: 0.9, tags: ['a', 'b'] });
    expect(compareReplay(before, text({ tags: ['c'], score: 0.4, label: 'network' }), 'structural')).toBe(
      'partial_match',
    );
    expect(compareReplay(before, text({ label: 'hardware', score: '0.9', tags: ['a'] }), 'structural')).toBe(
      'no_match',
    );
    // JSON answered as text is compared by its shape, not as a string.
    expect(compareReplay(text('{"label":"a"}'), text(' {"label":"b"} '), 'structural')).toBe('partial_match');
    expect(compareReplay(text('{"label":"a"}'), text('{"name":"b"}'), 'structural')).toBe('no_match');
  });

  it('falls back to the hash when the snapshots hold hashes only', () => {
    const hashed = (output: JsonValue) => snapshot(run([], output), { hashesOnly: true });
    expect(compareReplay(hashed({ a: 1 }), hashed({ a: 1 }), 'structural')).toBe('exact_match');
    expect(compareReplay(hashed({ a: 1 }), hashed({ a: 2 }), 'structural')).toBe('no_match');
  });

  it('records a replay on the original snapshot', () => {
    const replayed = recordReplay(
      recordReplay(text('x'), 'no_match'),
      'exact_match',
      new Date('2026-12-07T00:00:00Z'),
    );
    expect(replayed.replay_status).toEqual({
      replayed: true,
      replay_count: 2,
      last_replay: '2026-12-07T00:00:00.000Z',
      match_status: 'exact_match',
    });
  });
});
