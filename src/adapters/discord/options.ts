/**
 * The options each Discord application command takes, and how each becomes part of the command
 * text the grammar parses. The commands themselves come from the core registry; a command not in
 * this table gets the generic `args` option, so commands added later still appear in Discord.
 */

type OptionKind = 'string' | 'integer' | 'boolean' | 'attachment' | 'user';

/** What the autocomplete handler suggests for a string option. */
export type Completion = 'section' | 'fields' | 'key' | 'topic' | 'saved';

/**
 * - `text`: appended as typed (a section name, or `key=value` text in the grammar's own syntax)
 * - `param`: appended as `name=<TOML value>`, quoted so any text survives the grammar
 * - `content`: an attachment whose text goes to the core as the invocation's content
 * - `mention`: a user option's id as `<@ID>`, the mention a person would type
 * - `quoted`: a positional word in quotes, so a value with spaces stays one word
 */
type Placement = 'text' | 'param' | 'content' | 'mention' | 'quoted';

export interface OptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  readonly description: string;
  readonly placement: Placement;
  readonly required?: boolean;
  readonly autocomplete?: Completion;
  readonly minValue?: number;
  readonly maxValue?: number;
  readonly maxLength?: number;
}

/** Discord's ceiling for a string option's value; the core's own line limit is larger. */
const MAX_TEXT = 6000;

const SECTION = {
  name: 'section',
  kind: 'string',
  description: 'Section of the document, e.g. roles, logging or stages.actions',
  placement: 'text',
  autocomplete: 'section',
  maxLength: 100,
} as const satisfies OptionSpec;

/** What a review note or a rejection reason may hold; the core keeps no more. */
const MAX_NOTE = 300;

/** /grant and /revoke: Discord's user picker, so the person is an id and never a typed name. */
const GRANT_OPTIONS: readonly OptionSpec[] = [
  { name: 'user', kind: 'user', description: 'The member', placement: 'mention', required: true },
  {
    name: 'role',
    kind: 'string',
    description: "A role the channel's document defines, e.g. Administrator",
    placement: 'quoted',
    required: true,
    maxLength: 100,
  },
];

/** /approve RUN and /reject RUN vote on a run's approval step; left empty they decide the review. */
const RUN_OPTION: OptionSpec = {
  name: 'run',
  kind: 'string',
  description: 'A run waiting for approval (its id); empty: the channel review',
  placement: 'text',
  maxLength: 64,
};

const REVIEW_OPTIONS: Readonly<Record<string, readonly OptionSpec[]>> = {
  submit: [
    {
      name: 'note',
      kind: 'string',
      description: 'What the reviewers should know about this version',
      placement: 'text',
      maxLength: MAX_NOTE,
    },
  ],
  approve: [RUN_OPTION],
  reject: [
    RUN_OPTION,
    {
      name: 'reason',
      kind: 'string',
      description: 'Why, for the channel',
      placement: 'text',
      maxLength: MAX_NOTE,
    },
  ],
  review: [],
  grant: GRANT_OPTIONS,
  revoke: GRANT_OPTIONS,
  members: [],
  audit: [
    {
      name: 'limit',
      kind: 'integer',
      description: 'How many entries to list (default 20)',
      placement: 'text',
      minValue: 1,
      maxValue: 200,
    },
  ],
};

const COMMAND_OPTIONS: Readonly<Record<string, readonly OptionSpec[]>> = {
  ...REVIEW_OPTIONS,
  create: [
    { name: 'name', kind: 'string', description: 'Name of the workflow', placement: 'param', maxLength: 200 },
    {
      name: 'version',
      kind: 'string',
      description: 'Version, e.g. 1.0.0',
      placement: 'param',
      maxLength: 50,
    },
  ],
  add: [
    { ...SECTION, required: true },
    {
      name: 'params',
      kind: 'string',
      description: 'Fields as key=value, e.g. name="DataScientist" privileges=["read","execute"]',
      placement: 'text',
      required: true,
      autocomplete: 'fields',
      maxLength: MAX_TEXT,
    },
  ],
  show: [{ ...SECTION, description: 'Only this section (default: the whole draft)' }],
  load: [
    { name: 'file', kind: 'attachment', description: 'An aiTWS .toml file', placement: 'content' },
    {
      name: 'name',
      kind: 'string',
      description: 'A workflow saved in this server with /save name:…',
      placement: 'param',
      autocomplete: 'saved',
      maxLength: 100,
    },
  ],
  save: [
    {
      name: 'name',
      kind: 'string',
      description: 'Keep a copy in the server library under this name (default: attach workflow.toml)',
      placement: 'param',
      maxLength: 100,
    },
  ],
  remove: [
    { ...SECTION, required: true },
    {
      name: 'key',
      kind: 'string',
      description: 'A field of a table (level) or an entry of a list (name="X"); empty: the whole section',
      placement: 'text',
      autocomplete: 'key',
      maxLength: 1000,
    },
  ],
  help: [
    {
      name: 'topic',
      kind: 'string',
      description: 'A command or a section, or "sections"',
      placement: 'text',
      autocomplete: 'topic',
      maxLength: 100,
    },
  ],
  undo: [],
  history: [
    {
      name: 'limit',
      kind: 'integer',
      description: 'How many versions to list',
      placement: 'param',
      minValue: 1,
      maxValue: 100,
    },
  ],
  diff: [
    {
      name: 'from',
      kind: 'integer',
      description: 'Older version (default: the previous one)',
      placement: 'text',
      minValue: 0,
    },
    {
      name: 'to',
      kind: 'integer',
      description: 'Newer version (default: the current one; needs from)',
      placement: 'text',
      minValue: 0,
    },
  ],
  validate: [
    {
      name: 'strict',
      kind: 'boolean',
      description: 'Check as a run would: dangling references are errors',
      placement: 'param',
    },
  ],
  saved: [],
};

export const GENERIC_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'args',
    kind: 'string',
    description: 'Everything after the command name, as you would type it',
    placement: 'text',
    maxLength: MAX_TEXT,
  },
];

export function optionsFor(command: string): readonly OptionSpec[] {
  return COMMAND_OPTIONS[command] ?? GENERIC_OPTIONS;
}
