/**
 * compilePlan: a document pre-flight passed, compiled into what the engine walks — stages by
 * order, per-action defaults from [error_handling], groups, branches (`when`/`at`), handlers.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/document/index.js';
import { compilePlan, stepKey } from '../../src/runtime/plan.js';

const plan = (toml: string) => compilePlan(parseDocument(toml));

describe('stages', () => {
  it('runs stages by order, ties in document order, stages without order last', () => {
    const compiled = plan(`
[[stages]]
name = "NoOrder"
[[stages]]
name = "Third"
order = 5
[[stages]]
name = "First"
order = 1
[[stages]]
name = "AlsoFive"
order = 5
[[stages]]
name = "Second"
order = 2
`);
    expect(compiled.stages.map((stage) => [stage.name, stage.order])).toEqual([
      ['First', 1],
      ['Second', 2],
      ['Third', 5],
      ['AlsoFive', 5],
      ['NoOrder', undefined],
    ]);
    expect(compiled.stages.every((stage) => stage.actions.length === 0)).toBe(true);
  });

  it("keeps a stage's actions in document order and its condition", () => {
    const compiled = plan(`
[[stages]]
name = "S"
order = 1
condition = "Wanted"
[[stages.actions]]
name = "B"
type = "transform"
[[stages.actions]]
name = "A"
type = "chat.notify"
[[conditions]]
name = "Wanted"
expression = "true"
`);
    const [stage] = compiled.stages;
    expect(stage?.condition).toBe('Wanted');
    expect(stage?.actions.map((action) => [action.stage, action.name, action.type])).toEqual([
      ['S', 'B', 'transform'],
      ['S', 'A', 'chat.notify'],
    ]);
  });
});

describe('actions', () => {
  it('defaults: no retry, 1 s fixed interval, fail on error, empty with, no timeout, 300 s run', () => {
    const compiled = plan(`
[[stages]]
name = "S"
order = 1
[[stages.actions]]
name = "A"
type = "transform"
`);
    expect(compiled.stages[0]?.actions[0]).toEqual({
      stage: 'S',
      name: 'A',
      type: 'transform',
      parameters: {},
      retry: { max: 0, backoff: 'fixed', intervalMs: 1000 },
      onError: { kind: 'fail' },
    });
    expect(compiled.runTimeoutMs).toBe(300_000);
    expect(compiled.conditions.size).toBe(0);
    expect(compiled.groups).toEqual([]);
    expect(compiled.branches).toEqual([]);
    expect(compiled.handlers.size).toBe(0);
  });

  it('takes retry defaults from [error_handling], and what the action gives over them', () => {
    const compiled = plan(`
[error_handling]
retry_count = 3
retry_interval = "5 seconds"
run_timeout = "10 minutes"

[[stages]]
name = "S"
order = 1
[[stages.actions]]
name = "Default"
type = "transform"
[[stages.actions]]
name = "Exponential"
type = "transform"
retry = { backoff = "exponential" }
[[stages.actions]]
name = "Own"
type = "transform"
retry = { max = 0, interval = "250ms" }
`);
    const actions = compiled.stages[0]?.actions ?? [];
    expect(actions.map((action) => action.retry)).toEqual([
      { max: 3, backoff: 'fixed', intervalMs: 5000 },
      { max: 3, backoff: 'exponential', intervalMs: 5000 },
      { max: 0, backoff: 'fixed', intervalMs: 250 },
    ]);
    expect(compiled.runTimeoutMs).toBe(600_000);
  });

  it('reads with, timeout, on_error and condition', () => {
    const compiled = plan(`
[[stages]]
name = "S"
order = 1
[[stages.actions]]
name = "Call"
type = "http.request"
timeout = "30s"
on_error = "handler:Alert"
condition = "Ready"
with = { service = "Api", headers = { Accept = "application/json" }, tags = ["a", "{{ inputs.tag }}"] }
[[stages.actions]]
name = "Next"
type = "transform"
on_error = "continue"
[[conditions]]
name = "Ready"
expression = "inputs.ready == true"
[[handlers]]
name = "Alert"
action = "chat.notify"
with = { text = "failed" }
`);
    const [call, next] = compiled.stages[0]?.actions ?? [];
    expect(call).toMatchObject({
      timeoutMs: 30_000,
      onError: { kind: 'handler', handler: 'Alert' },
      condition: 'Ready',
      parameters: {
        service: 'Api',
        headers: { Accept: 'application/json' },
        tags: ['a', '{{ inputs.tag }}'],
      },
    });
    expect(next?.onError).toEqual({ kind: 'continue' });
    expect(next?.timeoutMs).toBeUndefined();
  });

  it('compiles every condition that has an expression', () => {
    const compiled = plan(`
[[conditions]]
name = "Big"
expression = "inputs.size > 10"
[[conditions]]
name = "NoExpression"
type = "resources_ready"
`);
    expect([...compiled.conditions.keys()]).toEqual(['Big']);
    const big = compiled.conditions.get('Big');
    expect(big?.evaluate({ inputs: { size: 11 }, steps: {}, run: {} })).toBe(true);
    expect(big?.evaluate({ inputs: { size: 3 }, steps: {}, run: {} })).toBe(false);
  });

  it('does not change the document', () => {
    const document = parseDocument(`
[[stages]]
name = "S"
order = 1
[[stages.actions]]
name = "A"
type = "transform"
retry = { max = 1 }
`);
    const before = JSON.stringify(document);
    compilePlan(document);
    expect(JSON.stringify(document)).toBe(before);
  });
});

const STAGES = `
[[stages]]
name = "Prepare"
order = 1
[[stages.actions]]
name = "Load"
type = "transform"
[[stages.actions]]
name = "Clean"
type = "transform"
[[stages.actions]]
name = "Index"
type = "transform"
[[stages]]
name = "Train"
order = 2
[[stages]]
name = "Evaluate"
order = 3
[[stages]]
name = "Report"
order = 4
`;

describe('parallel groups', () => {
  it('groups actions of one stage in plan order, all at once unless bounded', () => {
    const compiled = plan(`${STAGES}
[[parallel_execution]]
name = "Both"
tasks = ["Index", "Clean"]
[[parallel_execution]]
name = "Bounded"
tasks = ["Evaluate", "Train"]
max_concurrency = 1
`);
    expect(compiled.groups).toEqual([
      { name: 'Both', kind: 'actions', stage: 'Prepare', tasks: ['Clean', 'Index'], maxConcurrency: 2 },
      { name: 'Bounded', kind: 'stages', tasks: ['Train', 'Evaluate'], maxConcurrency: 1 },
    ]);
  });
});

describe('branches', () => {
  it('without after: evaluated before the earliest target starts', () => {
    const compiled = plan(`${STAGES}
[[conditions]]
name = "Good"
expression = "true"
[[branches]]
name = "Skip"
condition = "Good"
if_true = "Report"
if_false = "Train"
`);
    expect(compiled.branches).toEqual([
      { name: 'Skip', condition: 'Good', at: 'Train', when: 'before', ifTrue: 'Report', ifFalse: 'Train' },
    ]);
  });

  it('with after: evaluated after that stage, with its bound', () => {
    const compiled = plan(`${STAGES}
[[conditions]]
name = "Poor"
expression = "true"
[[branches]]
name = "Again"
condition = "Poor"
after = "Evaluate"
if_true = "Train"
max_iterations = 3
`);
    expect(compiled.branches).toEqual([
      { name: 'Again', condition: 'Poor', at: 'Evaluate', when: 'after', ifTrue: 'Train', maxIterations: 3 },
    ]);
  });

  it('after a stage of a parallel group: at the end of the group', () => {
    const compiled = plan(`${STAGES}
[[conditions]]
name = "Poor"
expression = "true"
[[parallel_execution]]
name = "Together"
tasks = ["Train", "Evaluate"]
[[branches]]
name = "Again"
condition = "Poor"
after = "Train"
if_true = "Report"
`);
    expect(compiled.branches[0]).toMatchObject({ at: 'Evaluate', when: 'after', ifTrue: 'Report' });
  });
});

describe('handlers', () => {
  it('runs an action of the document, Notify<Role>, or an action type with its own with', () => {
    const compiled = plan(`
[error_handling]
retry_count = 2
[[roles]]
name = "Administrator"
[[roles]]
name = "Senior Developer"
[[stages]]
name = "S"
order = 1
[[stages.actions]]
name = "Page"
type = "chat.notify"
with = { text = "paging" }
[[handlers]]
name = "UsePage"
action = "Page"
[[handlers]]
name = "HandleResourceCreation"
action = "NotifyAdministrator"
[[handlers]]
name = "Seniors"
action = "NotifySeniorDeveloper"
[[handlers]]
name = "Shape"
action = "transform"
with = { set = { seen = true } }
timeout = "5s"
`);
    expect(compiled.handlers.get('UsePage')).toEqual({
      name: 'UsePage',
      action: compiled.stages[0]?.actions[0],
    });
    expect(compiled.handlers.get('HandleResourceCreation')).toEqual({
      name: 'HandleResourceCreation',
      role: 'Administrator',
      action: {
        stage: '',
        name: 'HandleResourceCreation',
        type: 'chat.notify',
        parameters: {
          text: 'Workflow event {{ run.event }}: for the attention of Administrator (handler HandleResourceCreation).',
        },
        retry: { max: 2, backoff: 'fixed', intervalMs: 1000 },
        onError: { kind: 'fail' },
      },
    });
    expect(compiled.handlers.get('Seniors')?.role).toBe('Senior Developer');
    expect(compiled.handlers.get('Shape')?.action).toMatchObject({
      stage: '',
      name: 'Shape',
      type: 'transform',
      parameters: { set: { seen: true } },
      timeoutMs: 5000,
      onError: { kind: 'fail' },
    });
  });
});

describe('stepKey', () => {
  it('is stage/action#iteration, with %, / and # in names encoded', () => {
    expect(stepKey('Train', 'Fit model', 1)).toBe('Train/Fit model#1');
    expect(stepKey('a/b', 'c', 2)).toBe('a%2Fb/c#2');
    expect(stepKey('a', 'b/c', 2)).toBe('a/b%2Fc#2');
    expect(stepKey('x#1', '50%', 3)).toBe('x%231/50%25#3');
  });
});
