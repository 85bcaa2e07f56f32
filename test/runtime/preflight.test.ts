/**
 * Pre-flight: every refusal, with where and what to do, in document order; a workflow with none
 * gets its plan. Executors are small real ones with zod schemas and their own checks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isTable, parseDocument } from '../../src/document/index.js';
import { type Executor, executorRegistry } from '../../src/runtime/executor.js';
import type { PreflightProblem } from '../../src/runtime/plan-types.js';
import { type PreflightOptions, preflight } from '../../src/runtime/preflight.js';
import { environmentSecrets } from '../../src/runtime/secrets.js';
import { SAMPLE_TOML } from '../support/paths.js';

const transform: Executor<{ set: Record<string, unknown> }> = {
  type: 'transform',
  summary: 'Shapes data.',
  params: z.object({ set: z.record(z.string(), z.unknown()) }),
  check: (parameters) =>
    isTable(parameters.set)
      ? []
      : [{ field: 'with.set', message: 'transform needs set = { key = "value" }.' }],
  run: async (_context, params) => ({ kind: 'done', output: JSON.parse(JSON.stringify(params.set)) }),
};

const notify: Executor<{ text: string }> = {
  type: 'chat.notify',
  summary: 'Posts to chat.',
  params: z.object({ text: z.string() }),
  run: async () => ({ kind: 'done', output: null }),
};

const http: Executor<{ service: string; path: string }> = {
  type: 'http.request',
  summary: 'Calls a declared service.',
  params: z.object({ service: z.string(), path: z.string(), body: z.unknown().optional() }),
  check: (parameters, document) => {
    const services = Array.isArray(document.external_services) ? document.external_services : [];
    const known = services.some((service) => isTable(service) && service.name === parameters.service);
    return known
      ? []
      : [
          {
            field: 'with.service',
            message: `No [[external_services]] entry "${String(parameters.service)}".`,
          },
        ];
  },
  run: async () => ({ kind: 'done', output: { status: 200 } }),
};

/** `${secret:NAME}`, written so that no string literal looks like a forgotten placeholder. */
const ref = (name: string): string => `\${secret:${name}}`;

const OPTIONS: PreflightOptions = {
  executors: executorRegistry([transform, notify, http]),
  secrets: environmentSecrets({ AITWS_SECRET_API_TOKEN: 't0ken' }),
};

const GOOD = `
[error_handling]
retry_count = 2
retry_interval = "5 seconds"

[[roles]]
name = "Administrator"

[[stages]]
name = "Prepare"
order = 1
[[stages.actions]]
name = "Load"
type = "transform"
with = { set = { size = "{{ inputs.size }}" } }
[[stages.actions]]
name = "Clean"
type = "transform"
with = { set = { rows = "{{ steps.Load.output.size }}" } }
[[stages.actions]]
name = "Index"
type = "transform"
with = { set = { rows = "{{ steps.Load.output.size }}" } }

[[stages]]
name = "Train"
order = 2
condition = "Wanted"
[[stages.actions]]
name = "Fit"
type = "http.request"
timeout = "30s"
retry = { max = 4, backoff = "exponential" }
on_error = "handler:Alert"
with = { service = "Api", path = "/fit", body = { rows = ["{{ steps.Clean.output.rows }}"] } }

[[stages]]
name = "Evaluate"
order = 3
[[stages.actions]]
name = "Score"
type = "transform"
condition = "Fitted"
with = { set = { fit = "{{ steps.Fit.output }}" } }

[[conditions]]
name = "Wanted"
expression = "inputs.train == true"
[[conditions]]
name = "Fitted"
expression = "has(steps.Fit.output)"
[[conditions]]
name = "Poor"
expression = "steps.Score.output.fit.status != 200"

[[branches]]
name = "Retrain"
condition = "Poor"
after = "Evaluate"
if_true = "Train"
max_iterations = 2

[[parallel_execution]]
name = "Tidy"
tasks = ["Clean", "Index"]

[[external_services]]
name = "Api"
url = "https://api.example.com"
api_key = "\${secret:API_TOKEN}"

[[events]]
name = "Failed"
type = "action.failed"
[[triggers]]
name = "OnFailure"
event = "Failed"
handler = "Alert"
[[handlers]]
name = "Alert"
action = "NotifyAdministrator"
`;

/** GOOD with each `[from, to]` replaced (each `from` must be there). */
function variant(...edits: readonly (readonly [string, string])[]): string {
  let text = GOOD;
  for (const [from, to] of edits) {
    expect(text).toContain(from);
    text = text.replace(from, to);
  }
  return text;
}

function problems(text: string, options: PreflightOptions = OPTIONS): readonly PreflightProblem[] {
  const result = preflight(parseDocument(text), options);
  expect(result.plan === undefined).toBe(result.problems.length > 0);
  return result.problems;
}

const codesAndPlaces = (found: readonly PreflightProblem[]) => found.map((item) => [item.code, item.where]);

describe('a workflow that can run', () => {
  it('has no problems and gets its plan', () => {
    const { plan, problems: found } = preflight(parseDocument(GOOD), OPTIONS);
    expect(found).toEqual([]);
    expect(plan?.stages.map((stage) => stage.name)).toEqual(['Prepare', 'Train', 'Evaluate']);
    expect(plan?.stages[0]?.actions[0]?.retry).toEqual({ max: 2, backoff: 'fixed', intervalMs: 5000 });
    expect(plan?.stages[1]?.actions[0]).toMatchObject({
      retry: { max: 4, backoff: 'exponential', intervalMs: 5000 },
      timeoutMs: 30_000,
      onError: { kind: 'handler', handler: 'Alert' },
    });
    expect(plan?.branches).toEqual([
      {
        name: 'Retrain',
        condition: 'Poor',
        at: 'Evaluate',
        when: 'after',
        ifTrue: 'Train',
        maxIterations: 2,
      },
    ]);
    expect(plan?.groups).toEqual([
      { name: 'Tidy', kind: 'actions', stage: 'Prepare', tasks: ['Clean', 'Index'], maxConcurrency: 2 },
    ]);
    expect([...(plan?.conditions.keys() ?? [])]).toEqual(['Wanted', 'Fitted', 'Poor']);
    expect(plan?.handlers.get('Alert')?.action.type).toBe('chat.notify');
    expect(plan?.runTimeoutMs).toBe(300_000);
  });
});

describe('the sample document (test/fixtures/ai.toml)', () => {
  it('is refused: no executor for its 8 types, a condition without expression, dangling names', () => {
    const sample = parseDocument(readFileSync(SAMPLE_TOML, 'utf8'));
    const found = preflight(sample, OPTIONS).problems;
    expect(codesAndPlaces(found)).toEqual([
      ['NO_EXECUTOR', 'stages[Initialization].actions[CreateResources].type'],
      ['CONDITION', 'conditions[IsResourcesReady].expression'],
      ['REFERENCE', 'branches[ResourcesReadyBranch].if_false'],
      ['REFERENCE', 'parallel_execution[ConcurrentTasks].tasks'],
      ['REFERENCE', 'parallel_execution[ConcurrentTasks].tasks'],
      ['VALIDATION', 'change_management.approval_roles'],
    ]);
    expect(found[0]?.message).toBe(
      '8 action types have no executor: "create_resources" (Initialization/CreateResources), "execute_algorithm" (Execution/ExecuteAlgorithm), "fine_tune_model" (FineTuning/FineTuneModel), "gather_feedback" (Feedback/GatherFeedback), "regenerate_code" (Regeneration/RegenerateCode), "deploy_model" (Deployment/DeployModel), "evaluate_model" (Evaluation/EvaluateModel), "clean_resources" (Finalization/CleanResources). Known types: "chat.notify", "http.request", "transform". Use one of those, or load a plugin that provides the type (AITWS_PLUGINS).',
    );
    expect(found[1]?.message).toBe(
      'Condition "IsResourcesReady" has no expression, and branch "ResourcesReadyBranch" uses it. Add expression = "…", a CEL expression over inputs, steps and run, e.g. expression = "inputs.ready == true".',
    );
    expect(found[2]?.message).toBe(
      'There is no stage "ErrorHandling". Known: "Initialization", "Execution", "FineTuning", "Feedback", "Regeneration", "Deployment", "Evaluation", "Finalization". Name a stage of this workflow in if_false of branch "ResourcesReadyBranch".',
    );
    expect(found[3]?.message).toBe(
      'There is no action or stage "TaskA". Known: "CreateResources", "ExecuteAlgorithm", "FineTuneModel", "GatherFeedback", "RegenerateCode", "DeployModel", "EvaluateModel", "CleanResources" and 8 more. Name an action or a stage of this workflow in tasks of parallel group "ConcurrentTasks".',
    );
    expect(found[5]?.message).toBe(
      'Unknown role "Senior Developer" (expected a name from roles: "Administrator", "Developer").',
    );
  });
});

const EXPLAIN_ORDER =
  'An action can read only steps that finished before it starts: actions of earlier stages and earlier actions of its own stage (not those of its parallel group).';

describe('VALIDATION', () => {
  it('reports schema errors of run-mode validation', () => {
    expect(problems(variant(['order = 3', 'order = "three"']))).toEqual([
      {
        code: 'VALIDATION',
        where: 'stages[Evaluate].order',
        message: 'Got "three" (expected an integer (0 or more)).',
      },
    ]);
  });

  it('refuses malformed fields the runtime reads, each saying how to write it', () => {
    const text = variant(
      ['retry_count = 2', 'retry_count = 2\nrun_timeout = "forever"'],
      [
        'name = "Load"\ntype = "transform"\nwith = { set = { size = "{{ inputs.size }}" } }',
        'name = "Load"\ntype = "transform"\nwith = "size"',
      ],
      ['timeout = "30s"', 'timeout = "0s"'],
      ['backoff = "exponential" }', 'backof = "exponential" }'],
      ['on_error = "handler:Alert"', 'on_error = "explode"'],
      ['name = "Score"\ntype = "transform"', 'name = "Score"'],
      ['tasks = ["Clean", "Index"]', 'tasks = ["Clean", "Index"]\nmax_concurrency = 0'],
    );
    expect(problems(text)).toEqual([
      {
        code: 'VALIDATION',
        where: 'error_handling.run_timeout',
        message: '"forever" is not a duration (expected a duration such as "30 days", "5 minutes" or "90s").',
      },
      {
        code: 'VALIDATION',
        where: 'stages[Prepare].actions[Load].with',
        message: 'Got "size" (expected a table, e.g. { key = "value" }).',
      },
      {
        code: 'VALIDATION',
        where: 'stages[Train].actions[Fit].timeout',
        message: 'timeout "0s" is no time at all; write a duration such as "30s".',
      },
      {
        code: 'VALIDATION',
        where: 'stages[Train].actions[Fit].retry',
        message:
          'retry has an unknown key "backof" (did you mean "backoff"?); it takes max, backoff and interval.',
      },
      {
        code: 'VALIDATION',
        where: 'stages[Train].actions[Fit].on_error',
        message:
          'on_error "explode" is not an on_error value; write "fail", "continue" or "handler:NAME" with NAME a [[handlers]] entry.',
      },
      {
        code: 'VALIDATION',
        where: 'stages[Evaluate].actions[Score].type',
        message: 'The action has no type; add type = "…" (e.g. transform, chat.notify, http.request).',
      },
      {
        code: 'VALIDATION',
        where: 'parallel_execution[Tidy].max_concurrency',
        message: '0 is out of range (expected an integer of at least 1).',
      },
    ]);
  });

  it('reports a field both the schema and pre-flight refuse once', () => {
    expect(problems(variant(['timeout = "30s"', 'timeout = 30']))).toEqual([
      {
        code: 'VALIDATION',
        where: 'stages[Train].actions[Fit].timeout',
        message: 'Got 30 (expected a duration such as "30 days", "5 minutes" or "90s").',
      },
    ]);
  });

  it('refuses one action name in two stages, a branch with no target or condition, a handler with no action', () => {
    const text = variant(
      ['name = "Fit"', 'name = "Load"'],
      ['name = "Retrain"\ncondition = "Poor"\nafter = "Evaluate"\nif_true = "Train"\n', 'name = "Retrain"\n'],
      ['action = "NotifyAdministrator"', 'description = "tells the admins"'],
      ['{{ steps.Fit.output }}', '{{ inputs.fit }}'],
      ['has(steps.Fit.output)', 'true'],
    );
    expect(problems(text)).toEqual([
      {
        code: 'VALIDATION',
        where: 'stages[Train].actions[Load].name',
        message:
          'Stages "Prepare" and "Train" both have an action "Load"; steps.Load, parallel tasks and handlers could not tell them apart. Rename one of them.',
      },
      {
        code: 'VALIDATION',
        where: 'branches[Retrain].condition',
        message: 'Branch "Retrain" has no condition; add condition = "Name" naming a [[conditions]] entry.',
      },
      {
        code: 'VALIDATION',
        where: 'branches[Retrain]',
        message: 'Branch "Retrain" has neither if_true nor if_false; add the stage to jump to.',
      },
      {
        code: 'VALIDATION',
        where: 'handlers[Alert].action',
        message:
          'Handler "Alert" has no action; add action = "…" (an action of this workflow, Notify<Role>, or an action type).',
      },
    ]);
  });
});

describe('REFERENCE', () => {
  it('refuses names that point at nothing, with did-you-mean, each once', () => {
    const text = variant(
      ['condition = "Wanted"', 'condition = "Wantd"'],
      ['on_error = "handler:Alert"', 'on_error = "handler:Alrt"'],
      ['after = "Evaluate"\nif_true = "Train"', 'after = "Evaluation"\nif_true = "Trian"'],
      ['tasks = ["Clean", "Index"]', 'tasks = ["Clean", "Indx"]'],
      ['event = "Failed"\nhandler = "Alert"', 'event = "Fail"\nhandler = "Alarm"'],
      ['action = "NotifyAdministrator"', 'action = "NotifyAdmins"'],
    );
    expect(problems(text)).toEqual([
      {
        code: 'REFERENCE',
        where: 'stages[Train].condition',
        message:
          'There is no condition "Wantd". Did you mean "Wanted"? Known: "Wanted", "Fitted", "Poor". Name a [[conditions]] entry, or add one named "Wantd".',
      },
      {
        code: 'REFERENCE',
        where: 'stages[Train].actions[Fit].on_error',
        message:
          'There is no handler "Alrt". Did you mean "Alert"? Known: "Alert". Write on_error = "handler:NAME" with a [[handlers]] entry\'s name, or add a handler named "Alrt".',
      },
      {
        code: 'REFERENCE',
        where: 'branches[Retrain].after',
        message:
          'There is no stage "Evaluation". Did you mean "Evaluate"? Known: "Prepare", "Train", "Evaluate". Name a stage of this workflow in after of branch "Retrain".',
      },
      {
        code: 'REFERENCE',
        where: 'branches[Retrain].if_true',
        message:
          'There is no stage "Trian". Did you mean "Train"? Known: "Prepare", "Train", "Evaluate". Name a stage of this workflow in if_true of branch "Retrain".',
      },
      {
        code: 'REFERENCE',
        where: 'parallel_execution[Tidy].tasks',
        message:
          'There is no action or stage "Indx". Did you mean "Index"? Known: "Load", "Clean", "Index", "Fit", "Score", "Prepare", "Train", "Evaluate". Name an action or a stage of this workflow in tasks of parallel group "Tidy".',
      },
      {
        code: 'REFERENCE',
        where: 'triggers[OnFailure].event',
        message:
          'There is no event "Fail". Did you mean "Failed"? Known: "Failed". Name an [[events]] entry in event of trigger "OnFailure", or add one named "Fail".',
      },
      {
        code: 'REFERENCE',
        where: 'triggers[OnFailure].handler',
        message:
          'There is no handler "Alarm". Did you mean "Alert"? Known: "Alert". Name a [[handlers]] entry in handler of trigger "OnFailure", or add one named "Alarm".',
      },
      {
        code: 'REFERENCE',
        where: 'handlers[Alert].action',
        message:
          'There is no action, Notify<Role> or action type "NotifyAdmins". Known: "Load", "Clean", "Index", "Fit", "Score", "NotifyAdministrator", "run", "ai.invoke" and 6 more. Write an action of this workflow, Notify<Role> with a [[roles]] name, or an action type in action of handler "Alert".',
      },
    ]);
  });

  it('lets a handler name an action of the document, or a type a plugin provides', () => {
    const plugin: Executor<{ channel: string }> = {
      type: 'pager.page',
      summary: 'Pages someone.',
      params: z.object({ channel: z.string() }),
      run: async () => ({ kind: 'done', output: null }),
    };
    const options = { ...OPTIONS, executors: executorRegistry([transform, notify, http, plugin]) };
    const text = variant([
      'action = "NotifyAdministrator"',
      'action = "pager.page"\nwith = { channel = "ops" }\n[[handlers]]\nname = "Rescore"\naction = "Score"',
    ]);
    const { plan, problems: found } = preflight(parseDocument(text), options);
    expect(found).toEqual([]);
    expect(plan?.handlers.get('Alert')?.action).toMatchObject({
      stage: '',
      type: 'pager.page',
      parameters: { channel: 'ops' },
    });
    expect(plan?.handlers.get('Rescore')?.action).toMatchObject({ stage: 'Evaluate', name: 'Score' });
  });
  it('reports every dangling name of a large document, with did-you-mean for the first ones only', () => {
    const names = Array.from({ length: 600 }, (_, i) => `Stage${String(i).padStart(3, '0')}`);
    const stages = names.map((name, i) => `[[stages]]\nname = "${name}"\norder = ${i}\n`).join('');
    const tasks = names.map((name) => `"${name}x"`).join(', ');
    const found = problems(`${stages}[[parallel_execution]]\nname = "Wide"\ntasks = [${tasks}]\n`);
    expect(found).toHaveLength(600);
    expect(found.every((item) => item.code === 'REFERENCE')).toBe(true);
    expect(found[0]?.message).toContain('There is no action or stage "Stage000x". Did you mean "Stage000"?');
    expect(found[599]?.message).toMatch(/^There is no action or stage "Stage599x"\. Known: /);
  });
});

describe('NO_EXECUTOR', () => {
  it('lists every unbound type once, where it is used, and the known types', () => {
    const text = variant(
      ['name = "Score"\ntype = "transform"', 'name = "Score"\ntype = "score_model"'],
      ['name = "Fit"\ntype = "http.request"', 'name = "Fit"\ntype = "train_model"'],
      ['action = "NotifyAdministrator"', 'action = "emit"'],
      ['name = "Load"\ntype = "transform"', 'name = "Load"\ntype = "score_model"'],
    );
    expect(problems(text)).toEqual([
      {
        code: 'NO_EXECUTOR',
        where: 'stages[Prepare].actions[Load].type',
        message:
          '3 action types have no executor: "score_model" (Prepare/Load, Evaluate/Score), "train_model" (Train/Fit), "emit" (handler Alert). Known types: "chat.notify", "http.request", "transform". Use one of those, or load a plugin that provides the type (AITWS_PLUGINS).',
      },
    ]);
  });

  it('needs chat.notify for a Notify<Role> handler', () => {
    const options = { ...OPTIONS, executors: executorRegistry([transform, http]) };
    expect(problems(GOOD, options)).toEqual([
      {
        code: 'NO_EXECUTOR',
        where: 'handlers[Alert].action',
        message:
          '1 action type has no executor: "chat.notify" (handler Alert). Known types: "http.request", "transform". Use one of those, or load a plugin that provides the type (AITWS_PLUGINS).',
      },
    ]);
  });
});

describe('CONDITION', () => {
  it('refuses CEL syntax and type errors with the position', () => {
    const text = variant(
      ['expression = "inputs.train == true"', 'expression = "inputs.train =="'],
      ['expression = "has(steps.Fit.output)"', 'expression = "1 + 1"'],
    );
    expect(problems(text)).toEqual([
      {
        code: 'CONDITION',
        where: 'conditions[Wanted].expression',
        message:
          'Condition "inputs.train ==" is not valid at line 1, column 16: Unexpected token: EOF (expected a complete CEL expression).',
      },
      {
        code: 'CONDITION',
        where: 'conditions[Fitted].expression',
        message:
          'Condition "1 + 1" has a type error at line 1, column 1: the expression evaluates to int (expected a bool (true or false), e.g. a comparison such as x == 1).',
      },
    ]);
  });

  it('refuses a used condition without an expression, and one that reads a step that does not exist', () => {
    const text = variant(
      ['expression = "has(steps.Fit.output)"', 'type = "fitted"'],
      ['steps.Score.output.fit.status', 'steps.Scor.output.fit.status'],
      [
        '[[branches]]',
        '[[conditions]]\nname = "Unused"\ntype = "no expression, used by nothing"\n\n[[branches]]',
      ],
    );
    expect(problems(text)).toEqual([
      {
        code: 'CONDITION',
        where: 'conditions[Fitted].expression',
        message:
          'Condition "Fitted" has no expression, and action "Score" uses it. Add expression = "…", a CEL expression over inputs, steps and run, e.g. expression = "inputs.ready == true".',
      },
      {
        code: 'CONDITION',
        where: 'conditions[Poor].expression',
        message:
          'Condition "Poor" reads steps.Scor, but no action is named "Scor". Did you mean "Score"? Actions: "Load", "Clean", "Index", "Fit", "Score".',
      },
    ]);
  });
});

describe('TEMPLATE', () => {
  const readsIn = (where: string, step: string, why: string): PreflightProblem => ({
    code: 'TEMPLATE',
    where,
    message: `The template reads steps.${step}, but ${why}. ${EXPLAIN_ORDER}`,
  });

  it('refuses a malformed template and a step that does not exist', () => {
    const text = variant(
      [
        'rows = "{{ steps.Load.output.size }}" } }\n[[stages.actions]]\nname = "Index"',
        'rows = "{{ steps.Load.output.size " } }\n[[stages.actions]]\nname = "Index"',
      ],
      ['{{ steps.Fit.output }}', '{{ steps.Fitt.output }}'],
    );
    expect(problems(text)).toEqual([
      {
        code: 'TEMPLATE',
        where: 'stages[Prepare].actions[Clean].with.set.rows',
        message: 'Template error at line 1, column 1: "{{" is never closed (expected a closing "}}").',
      },
      {
        code: 'TEMPLATE',
        where: 'stages[Evaluate].actions[Score].with.set.fit',
        message:
          'The template reads steps.Fitt, but no action is named "Fitt". Did you mean "Fit"? Actions: "Load", "Clean", "Index", "Fit", "Score".',
      },
    ]);
  });

  it('refuses steps of later stages and later actions, its own output, and its parallel siblings', () => {
    const text = variant(
      ['{{ inputs.size }}', '{{ steps.Score.output }} of {{ steps.Index.output }}'],
      ['rows = "{{ steps.Load.output.size }}" } }\n\n', 'rows = "{{ steps.Clean.output.rows }}" } }\n\n'],
      ['{{ steps.Fit.output }}', '{{ steps.Score.output }}'],
    );
    expect(problems(text)).toEqual([
      readsIn(
        'stages[Prepare].actions[Load].with.set.size',
        'Score',
        '"Score" runs later (in stage "Evaluate")',
      ),
      readsIn('stages[Prepare].actions[Load].with.set.size', 'Index', '"Index" runs later in the same stage'),
      readsIn(
        'stages[Prepare].actions[Index].with.set.rows',
        'Clean',
        '"Clean" runs at the same time (parallel group "Tidy")',
      ),
      readsIn(
        'stages[Evaluate].actions[Score].with.set.fit',
        'Score',
        "that is the action's own output, which does not exist while it runs",
      ),
    ]);
  });

  it('refuses a later stage even when a backward jump has run it, deep in tables and lists', () => {
    const text = variant([
      'body = { rows = ["{{ steps.Clean.output.rows }}"] }',
      'body = { rows = ["{{ steps.Clean.output.rows }}", "{{ steps.Score.output }}"] }',
    ]);
    expect(problems(text)).toEqual([
      readsIn(
        'stages[Train].actions[Fit].with.body.rows[#2]',
        'Score',
        '"Score" runs later (in stage "Evaluate")',
      ),
    ]);
  });

  it('refuses a step of a stage that runs at the same time', () => {
    const text = variant(
      ['tasks = ["Clean", "Index"]', 'tasks = ["Train", "Evaluate"]'],
      ['after = "Evaluate"\nif_true = "Train"', 'after = "Evaluate"\nif_true = "Prepare"'],
    );
    expect(problems(text)).toEqual([
      readsIn(
        'stages[Evaluate].actions[Score].with.set.fit',
        'Fit',
        '"Fit" runs at the same time (its stage "Train" is in parallel group "Tidy")',
      ),
    ]);
  });

  it('lets a handler read any step: it runs on an event, not at a point of the plan', () => {
    const text = variant([
      'action = "NotifyAdministrator"',
      'action = "transform"\nwith = { set = { last = "{{ steps.Score.output }}", run = "{{ run.id }}" } }',
    ]);
    expect(problems(text)).toEqual([]);
    const unknown = variant([
      'action = "NotifyAdministrator"',
      'action = "transform"\nwith = { set = { x = "{{ steps.Nope }}" } }',
    ]);
    expect(codesAndPlaces(problems(unknown))).toEqual([['TEMPLATE', 'handlers[Alert].with.set.x']]);
  });
});

describe('LOOP', () => {
  it('refuses a backward branch without max_iterations, the after stage itself included', () => {
    const loop = {
      code: 'LOOP',
      where: 'branches[Retrain].max_iterations',
      message:
        'Branch "Retrain" jumps back from stage "Evaluate" to "Train", a loop with no bound. Add max_iterations = N (how many times the branch may be taken per run).',
    };
    expect(problems(variant(['max_iterations = 2\n', '']))).toEqual([loop]);
    expect(
      problems(variant(['max_iterations = 2\n', ''], ['if_true = "Train"', 'if_true = "Evaluate"'])),
    ).toEqual([{ ...loop, message: loop.message.replace('to "Train"', 'to "Evaluate"') }]);
  });

  it('takes a branch without after as forward: it is evaluated before its earliest target starts', () => {
    const text = variant(
      ['max_iterations = 2\n', ''],
      ['after = "Evaluate"\nif_true = "Train"', 'if_true = "Evaluate"\nif_false = "Prepare"'],
    );
    const { plan, problems: found } = preflight(parseDocument(text), OPTIONS);
    expect(found).toEqual([]);
    expect(plan?.branches[0]).toMatchObject({ at: 'Prepare', when: 'before' });
  });
});

describe('PARALLEL', () => {
  const tasks = (list: string) => variant(['tasks = ["Clean", "Index"]', `tasks = ${list}`]);

  it('refuses a group mixing actions and stages, or actions of different stages', () => {
    expect(problems(tasks('["Clean", "Train"]'))).toEqual([
      {
        code: 'PARALLEL',
        where: 'parallel_execution[Tidy].tasks',
        message:
          'Parallel group "Tidy" mixes actions and stages; a group runs actions of one stage, or whole stages. Make one group of each.',
      },
    ]);
    expect(problems(tasks('["Clean", "Score"]'))).toEqual([
      {
        code: 'PARALLEL',
        where: 'parallel_execution[Tidy].tasks',
        message:
          'Parallel group "Tidy" has actions of different stages ("Prepare", "Evaluate"); a group runs actions of one stage, or whole stages. Split it into one group per stage, or list the stages instead.',
      },
    ]);
  });

  it('refuses a gap in a group, and a task in two groups', () => {
    expect(problems(tasks('["Load", "Index"]'))).toEqual([
      {
        code: 'PARALLEL',
        where: 'parallel_execution[Tidy].tasks',
        message:
          'The actions of stage "Prepare" of parallel group "Tidy" are not next to each other: "Clean" comes between them. Move it before or after the group, or add it to the group.',
      },
    ]);
    expect(
      problems(tasks('["Clean", "Index"]\n[[parallel_execution]]\nname = "Again"\ntasks = ["Index"]')),
    ).toEqual([
      {
        code: 'PARALLEL',
        where: 'parallel_execution[Again].tasks',
        message:
          '"Index" is in parallel groups "Tidy" and "Again"; a task belongs to one group. Remove it from one of them.',
      },
    ]);
  });

  it('refuses a jump into the middle of a group of stages', () => {
    const text = variant(
      ['tasks = ["Clean", "Index"]', 'tasks = ["Train", "Evaluate"]'],
      ['{{ steps.Fit.output }}', '{{ inputs.fit }}'],
      ['has(steps.Fit.output)', 'true'],
      ['after = "Evaluate"\nif_true = "Train"', 'after = "Prepare"\nif_true = "Evaluate"'],
    );
    expect(problems(text)).toEqual([
      {
        code: 'PARALLEL',
        where: 'branches[Retrain].if_true',
        message:
          'Branch "Retrain" jumps to stage "Evaluate", which runs in parallel group "Tidy" after it starts with "Train". Jump to "Train" instead.',
      },
    ]);
  });
});

describe('SECRET', () => {
  it('refuses a secret in parameters that is not configured, and a name that cannot be one', () => {
    const text = variant([
      'path = "/fit"',
      `path = "/fit?k=${ref('../x')}", headers = { Authorization = "Bearer ${ref('FIT_TOKEN')}" }`,
    ]);
    expect(problems(text)).toEqual([
      {
        code: 'SECRET',
        where: 'stages[Train].actions[Fit].with.path',
        message: `"${ref('../x')}" does not name a secret: a secret's name is letters, digits, "_", "-" and "." (not first), at most 128 characters.`,
      },
      {
        code: 'SECRET',
        where: 'stages[Train].actions[Fit].with.headers.Authorization',
        message:
          'The secret "FIT_TOKEN" is not configured. To fix it, set AITWS_SECRET_FIT_TOKEN for the workers.',
      },
    ]);
  });

  it('refuses a missing secret of a service an action uses, not of one nobody uses', () => {
    const none = { ...OPTIONS, secrets: environmentSecrets({}) };
    expect(problems(GOOD, none)).toEqual([
      {
        code: 'SECRET',
        where: 'external_services[Api].api_key',
        message:
          'The secret "API_TOKEN" is not configured. To fix it, set AITWS_SECRET_API_TOKEN for the workers.',
      },
    ]);
    const unused = `${GOOD}\n[[external_services]]\nname = "Spare"\nurl = "https://\${secret:SPARE}@spare.example.com"\n`;
    expect(problems(unused)).toEqual([]);
  });
});

describe('PARAMETER', () => {
  it("reports an executor's own check, and a check that throws", () => {
    const fragile: Executor = {
      type: 'fragile',
      summary: 'Its check has a bug.',
      params: z.object({}),
      check: () => {
        throw new Error('cannot read it');
      },
      run: async () => ({ kind: 'done', output: null }),
    };
    const options = { ...OPTIONS, executors: executorRegistry([transform, notify, http, fragile]) };
    const text = variant(
      ['service = "Api"', 'service = "Apx"'],
      ['name = "Score"\ntype = "transform"', 'name = "Score"\ntype = "fragile"'],
    );
    expect(problems(text, options)).toEqual([
      {
        code: 'PARAMETER',
        where: 'stages[Train].actions[Fit].with.service',
        message: 'No [[external_services]] entry "Apx".',
      },
      {
        code: 'PARAMETER',
        where: 'stages[Evaluate].actions[Score].with',
        message: 'The fragile executor could not check these parameters: cannot read it',
      },
    ]);
  });
});

describe('order', () => {
  it('reports problems in document order, whatever check found them', () => {
    const text = `
[[handlers]]
name = "H"
action = "Nowhere"

[[stages]]
name = "Late"
order = 2
[[stages.actions]]
name = "B"
type = "transform"
with = { set = { x = "{{ steps.Nope }}" } }

[[stages]]
name = "Early"
order = 1
condition = "Missing"
[[stages.actions]]
name = "A"
type = "unknown_type"
timeout = "never"

[error_handling]
run_timeout = "0s"
`;
    expect(codesAndPlaces(problems(text))).toEqual([
      ['REFERENCE', 'handlers[H].action'],
      ['TEMPLATE', 'stages[Late].actions[B].with.set.x'],
      ['REFERENCE', 'stages[Early].condition'],
      ['NO_EXECUTOR', 'stages[Early].actions[A].type'],
      ['VALIDATION', 'stages[Early].actions[A].timeout'],
      ['VALIDATION', 'error_handling.run_timeout'],
    ]);
  });
});
