/**
 * Registry entries for the workflow itself: stages and their actions, control flow, integrations,
 * events, change management, then the sections the spec's chat examples add (languages … tasks).
 * Read through sections.ts.
 */
import { BUILTIN_ACTION_TYPES } from './action-types.js';
import { EVENT_SECTIONS } from './sections-events.js';
import { keyName, SECRET_REF } from './sections-setup.js';
import type { NestedListSpec, SectionSpec } from './types.js';

export { BUILTIN_ACTION_TYPES } from './action-types.js';

const ACTIONS: NestedListSpec = {
  name: 'actions',
  key: 'name',
  parentParam: 'stage',
  description:
    'The steps of a stage, run in sequence unless grouped in parallel_execution. Besides the fields below an ' +
    'action carries whatever its type needs (e.g. the model, prompt and limits of an ai.invoke).',
  fields: [
    keyName('action'),
    {
      name: 'type',
      type: 'string',
      description: `What the action does: one of the types an executor runs (${BUILTIN_ACTION_TYPES.join(', ')}); any other type is a warning in a draft, since nothing could run it.`,
      example: 'ai.invoke',
      knownValues: BUILTIN_ACTION_TYPES,
    },
    { name: 'description', type: 'string', description: 'What the action is for, in words.' },
    {
      name: 'depends_on',
      type: 'string[]',
      description: 'Actions that must finish before this one starts.',
      references: 'stages.actions',
    },
    {
      name: 'timeout',
      type: 'duration',
      description: 'How long the action may run before it fails.',
      example: '5 minutes',
    },
    {
      name: 'with',
      type: 'table',
      description:
        'The parameters of the action type; text may hold {{ inputs.x }} and {{ steps.A.output.y }}.',
      example: '{ set = { greeting = "Hello {{ inputs.who }}" } }',
    },
    {
      name: 'condition',
      type: 'string',
      description: 'A condition (of [[conditions]]); the action is skipped when it is false.',
      references: 'conditions',
    },
    {
      name: 'retry',
      type: 'table',
      description:
        'Retries on failure: { max = 3, backoff = "exponential", interval = "2s" }; defaults from [error_handling].',
    },
    {
      name: 'on_error',
      type: 'string',
      description:
        'After the last failed attempt: "fail" (default), "continue", or "handler:NAME" (then fail).',
    },
  ],
  example: '/add stages.actions stage="Execution" name="Train" type="ai.invoke" timeout="10 minutes"',
};

export const FLOW_SECTIONS: readonly SectionSpec[] = [
  {
    name: 'stages',
    kind: 'list',
    key: 'name',
    description: 'Workflow stages, run in ascending order; each holds its actions (stages.actions).',
    fields: [
      keyName('stage'),
      { name: 'order', type: 'integer', description: 'Position in the run; lower runs first.', min: 0 },
      { name: 'description', type: 'string', description: 'What the stage does.' },
      {
        name: 'condition',
        type: 'string',
        description: 'A condition (of [[conditions]]); the whole stage is skipped when it is false.',
        references: 'conditions',
      },
      {
        name: 'actions',
        type: 'table[]',
        description: 'The stage actions; add them with /add stages.actions stage="…".',
      },
    ],
    children: [ACTIONS],
    example: '/add stages name="Validation" order=9 description="Check the deployed model"',
  },
  {
    name: 'conditions',
    kind: 'list',
    key: 'name',
    description: 'Named conditions that branches test.',
    fields: [
      keyName('condition'),
      { name: 'type', type: 'string', description: 'Kind of check, e.g. resources_ready.' },
      {
        name: 'expression',
        type: 'string',
        description:
          'A CEL expression over inputs, steps and run, e.g. steps.Score.output.accuracy >= 0.9 (no code is executed).',
      },
      { name: 'description', type: 'string', description: 'What the condition means.' },
    ],
    example:
      '/add conditions name="IsModelAccurate" type="metric_threshold" expression="steps.Evaluate.output.accuracy >= 0.9"',
  },
  {
    name: 'branches',
    kind: 'list',
    key: 'name',
    description: 'Jumps between stages depending on a condition.',
    fields: [
      keyName('branch'),
      { name: 'condition', type: 'string', description: 'Condition to test.', references: 'conditions' },
      {
        name: 'if_true',
        type: 'string',
        description: 'Stage to run when the condition holds.',
        references: 'stages',
      },
      { name: 'if_false', type: 'string', description: 'Stage to run otherwise.', references: 'stages' },
      { name: 'max_iterations', type: 'integer', description: 'Bound on loops through this branch.', min: 1 },
      {
        name: 'after',
        type: 'string',
        description: 'Stage after which the branch is tested; without it, just before the earliest target.',
        references: 'stages',
      },
    ],
    example:
      '/add branches name="AccuracyBranch" condition="IsResourcesReady" if_true="Deployment" if_false="FineTuning"',
  },
  {
    name: 'parallel_execution',
    kind: 'list',
    key: 'name',
    description: 'Groups of actions (or whole stages) that run concurrently.',
    fields: [
      keyName('group'),
      {
        name: 'tasks',
        type: 'string[]',
        description: 'Names of stage actions or stages to run together.',
        references: 'stages.actions or stages',
      },
      {
        name: 'max_concurrency',
        type: 'integer',
        description: 'How many run at once (default: all).',
        min: 1,
      },
    ],
    example: '/add parallel_execution name="EvaluateAndFeedback" tasks=["EvaluateModel", "GatherFeedback"]',
  },
  {
    name: 'external_services',
    kind: 'list',
    key: 'name',
    description: 'Databases, queues and APIs the workflow talks to.',
    fields: [
      keyName('service'),
      { name: 'type', type: 'string', description: 'Kind of service, e.g. PostgreSQL, RabbitMQ, MongoDB.' },
      { name: 'url', type: 'url', description: `Connection URL; put a password in as ${SECRET_REF}.` },
      {
        name: 'api_key',
        type: 'string',
        description: `API key, as a ${SECRET_REF} reference.`,
        secret: true,
      },
    ],
    example: '/add external_services name="Cache" type="Redis" url="redis://cache.example.com:6379/0"',
  },
  {
    name: 'authorization',
    kind: 'list',
    key: 'role',
    description: 'What each role is allowed to do.',
    fields: [
      {
        name: 'role',
        type: 'string',
        description: 'The role this entry grants to.',
        required: true,
        references: 'roles',
      },
      { name: 'allowed_actions', type: 'string[]', description: 'Allowed actions; "*" allows everything.' },
    ],
    example: '/add authorization role="Developer" allowed_actions=["read", "write", "execute"]',
  },
  ...EVENT_SECTIONS,
  {
    name: 'version_control',
    kind: 'table',
    description:
      'Where the workflow definition itself is versioned: an approval (or /push) commits the approved version there, /pull loads it back.',
    fields: [
      {
        name: 'system',
        type: 'string',
        description: 'Version control system.',
        example: 'git',
        knownValues: ['git'],
      },
      {
        name: 'repository',
        type: 'url',
        description: `Repository URL (https://; git:// and http:// only on loopback); credentials as ${SECRET_REF} in its user part.`,
        example: 'https://github.com/example/workflow.git',
      },
      { name: 'url', type: 'url', description: 'Older name of repository, read when that is not set.' },
      { name: 'branch', type: 'string', description: 'Branch holding the workflow.', example: 'main' },
      {
        name: 'path',
        type: 'string',
        description: 'File in the repository holding the canonical TOML (default workflow.toml).',
        example: 'workflows/triage.toml',
      },
      {
        name: 'token',
        type: 'string',
        description: `Access token for HTTPS, as a ${SECRET_REF} reference; sent as the password.`,
        secret: true,
      },
      {
        name: 'commit_on_approval',
        type: 'boolean',
        description:
          'Commit each approved version there as soon as it is approved (default true); /push commits on demand.',
        example: 'true',
      },
    ],
    example:
      '/add version_control system="git" repository="https://github.com/example/workflow.git" branch="main" path="workflow.toml"',
  },
  {
    name: 'change_management',
    kind: 'table',
    description: 'Review before a version may run.',
    fields: [
      { name: 'review_required', type: 'boolean', description: 'Whether /run needs approvals first.' },
      {
        name: 'approval_roles',
        type: 'string[]',
        description: 'Roles whose members may approve.',
        references: 'roles',
      },
      {
        name: 'required_approvals',
        type: 'integer',
        description: 'How many approvals a review needs (default 1); each person counts once.',
        min: 1,
      },
      {
        name: 'allow_self_approval',
        type: 'boolean',
        description: "Whether the submitter's own approval counts (default false).",
      },
      {
        name: 'min_approvals',
        type: 'integer',
        description: 'Older name of required_approvals, read when that is not set.',
        min: 1,
      },
    ],
    example: '/add change_management review_required=true approval_roles=["Administrator"]',
  },
  {
    name: 'languages',
    kind: 'table',
    description: 'Programming languages the workflow supports.',
    fields: [
      { name: 'supported', type: 'string[]', description: 'Supported languages.' },
      { name: 'default', type: 'string', description: 'Language used when none is given.' },
    ],
    example: '/add languages supported=["Rust", "Python", "JavaScript"] default="Python"',
  },
  {
    name: 'monitors',
    kind: 'list',
    key: 'name',
    description: 'Checks that watch a target and alert over a threshold.',
    fields: [
      keyName('monitor'),
      { name: 'type', type: 'string', description: 'What is measured, e.g. cpu_usage, latency.' },
      { name: 'target', type: 'string', description: 'What is watched, e.g. a server or service name.' },
      { name: 'interval', type: 'duration', description: 'Time between checks.', example: '1 minute' },
      { name: 'threshold', type: 'number', description: 'Value above which the monitor alerts.' },
    ],
    example:
      '/add monitors name="CPUUsageMonitor" type="cpu_usage" target="ServerA" interval="1 minute" threshold=90',
  },
  {
    name: 'notifications',
    kind: 'list',
    key: 'name',
    description: 'Where the workflow sends notices.',
    fields: [
      keyName('notification'),
      {
        name: 'type',
        type: 'string',
        description: 'Channel kind.',
        knownValues: ['slack', 'email', 'webhook', 'discord'],
      },
      { name: 'target', type: 'string', description: 'Webhook URL, channel or address.' },
      { name: 'events', type: 'string[]', description: 'Event types that cause a notice.' },
    ],
    example: '/add notifications name="OpsMail" type="email" target="ops@example.com" events=["model_error"]',
  },
  {
    name: 'pipelines',
    kind: 'list',
    key: 'name',
    description: 'Named sequences of stages.',
    fields: [
      keyName('pipeline'),
      {
        name: 'stages',
        type: 'string[]',
        description: 'Stages in the order they run.',
        references: 'stages',
      },
      { name: 'description', type: 'string', description: 'What the pipeline does.' },
    ],
    example: '/add pipelines name="TrainAndShip" stages=["Execution", "Deployment"]',
  },
  {
    name: 'tasks',
    kind: 'list',
    key: 'name',
    description: 'Work items for the team.',
    fields: [
      keyName('task'),
      { name: 'description', type: 'string', description: 'What needs doing.' },
      {
        name: 'priority',
        type: 'string',
        description: 'Urgency.',
        knownValues: ['low', 'medium', 'high', 'critical'],
      },
      { name: 'assignee', type: 'string', description: 'Who does it.' },
      {
        name: 'status',
        type: 'string',
        description: 'Progress.',
        knownValues: ['todo', 'in_progress', 'blocked', 'done'],
      },
      { name: 'due', type: 'any', description: 'Due date: a TOML date (2025-01-31) or text.' },
    ],
    example:
      '/add tasks name="FixBug123" description="Fix bug 123 in the user registration process" priority="high"',
  },
];
