import { describe, expect, it } from 'vitest';
import type { ValidationReport } from '../../src/document/index.js';
import { parseDocument, validateDocument } from '../../src/document/index.js';
import { formatFinding } from '../../src/errors.js';

/** `${secret:NAME}` built up, so the literal never looks like a mistyped template placeholder. */
const ref = (name: string): string => ['$', '{secret:', name, '}'].join('');

const BASE = `
[metadata]
name = "T"
version = "1.0.0"

[[roles]]
name = "Administrator"
privileges = ["all"]

[[roles]]
name = "Developer"
privileges = ["read"]

[[stages]]
name = "Execution"
order = 1
[[stages.actions]]
name = "Train"
type = "ai.invoke"
`;

function check(extra: string, mode: 'draft' | 'run' = 'draft'): ValidationReport {
  return validateDocument(parseDocument(`${BASE}\n${extra}`), { mode });
}

type Severity = 'errors' | 'warnings' | 'notices';

const cases: {
  name: string;
  toml: string;
  severity: Severity;
  path: string;
  code: string;
  text?: RegExp;
  suggestion?: string;
}[] = [
  {
    name: 'port out of range',
    toml: '[communication]\nport = 70000',
    severity: 'errors',
    path: 'communication.port',
    code: 'OUT_OF_RANGE',
    text: /70000 is out of range \(expected an integer from 1 to 65535\)/,
  },
  {
    name: 'port of the wrong type',
    toml: '[communication]\nport = "x"',
    severity: 'errors',
    path: 'communication.port',
    code: 'WRONG_TYPE',
    text: /got "x" \(expected an integer/,
  },
  {
    name: 'port that is not an integer',
    toml: '[communication]\nport = 44.5',
    severity: 'errors',
    path: 'communication.port',
    code: 'WRONG_TYPE',
  },
  {
    name: 'unsupported protocol',
    toml: '[communication]\nprotocol = "SCTP"',
    severity: 'warnings',
    path: 'communication.protocol',
    code: 'UNKNOWN_VALUE',
    text: /"SCTP" is not a supported value \(expected one of TLS, DTLS, QUIC\)/,
  },
  {
    name: 'protocol in the wrong case',
    toml: '[communication]\nprotocol = "tls"',
    severity: 'warnings',
    path: 'communication.protocol',
    code: 'UNKNOWN_VALUE',
    suggestion: 'TLS',
  },
  {
    name: 'unknown section',
    toml: '[rols]\nx = 1',
    severity: 'warnings',
    path: 'rols',
    code: 'UNKNOWN_SECTION',
    suggestion: 'roles',
  },
  {
    name: 'unknown section with no near name',
    toml: '[nonsense]\nx = 1',
    severity: 'warnings',
    path: 'nonsense',
    code: 'UNKNOWN_SECTION',
  },
  {
    name: 'unknown field',
    toml: '[[roles]]\nname = "DataScientist"\nprivilges = ["read"]',
    severity: 'warnings',
    path: 'roles[DataScientist].privilges',
    code: 'UNKNOWN_FIELD',
    suggestion: 'privileges',
  },
  {
    name: 'duplicate key',
    toml: '[[roles]]\nname = "Developer"',
    severity: 'errors',
    path: 'roles[Developer]',
    code: 'DUPLICATE_KEY',
    text: /2 entries have name "Developer"/,
  },
  {
    name: 'missing key',
    toml: '[[roles]]\nprivileges = ["read"]',
    severity: 'errors',
    path: 'roles[#3].name',
    code: 'MISSING_KEY',
    text: /is missing; it identifies the entry/,
  },
  {
    name: 'empty key',
    toml: '[[roles]]\nname = ""',
    severity: 'errors',
    path: 'roles[#3].name',
    code: 'INVALID_VALUE',
  },
  {
    name: 'authorization keyed by role',
    toml: '[[authorization]]\nallowed_actions = ["read"]',
    severity: 'errors',
    path: 'authorization[#1].role',
    code: 'MISSING_KEY',
  },
  {
    name: 'table section given as a list',
    toml: '[[logging]]\nlevel = "info"',
    severity: 'errors',
    path: 'logging',
    code: 'WRONG_SHAPE',
  },
  {
    name: 'list section given as a table',
    toml: '[events]\nname = "E"',
    severity: 'errors',
    path: 'events',
    code: 'WRONG_SHAPE',
  },
  {
    name: 'bad duration',
    toml: '[keys]\nkey_rotation_interval = "30 dayz"',
    severity: 'errors',
    path: 'keys.key_rotation_interval',
    code: 'INVALID_VALUE',
    text: /"30 dayz" is not a duration/,
  },
  {
    name: 'duration of the wrong type',
    toml: '[error_handling]\nretry_interval = 5',
    severity: 'errors',
    path: 'error_handling.retry_interval',
    code: 'WRONG_TYPE',
  },
  {
    name: 'bad URL',
    toml: '[[templates]]\nname = "T"\nurl = "not a url"',
    severity: 'errors',
    path: 'templates[T].url',
    code: 'INVALID_VALUE',
  },
  {
    name: 'string list of the wrong type',
    toml: '[[roles]]\nname = "X"\nprivileges = "read"',
    severity: 'errors',
    path: 'roles[X].privileges',
    code: 'WRONG_TYPE',
  },
  {
    name: 'element of a string list',
    toml: '[[roles]]\nname = "X"\nprivileges = ["read", 3]',
    severity: 'errors',
    path: 'roles[X].privileges[#2]',
    code: 'WRONG_TYPE',
  },
  {
    name: 'negative stage order',
    toml: '[[stages]]\nname = "S"\norder = -1',
    severity: 'errors',
    path: 'stages[S].order',
    code: 'OUT_OF_RANGE',
  },
  {
    name: 'nested action of the wrong type',
    toml: '[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\ntype = 5',
    severity: 'errors',
    path: 'stages[S].actions[A].type',
    code: 'WRONG_TYPE',
  },
  {
    name: 'nested action timeout',
    toml: '[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\ntimeout = "soon"',
    severity: 'errors',
    path: 'stages[S].actions[A].timeout',
    code: 'INVALID_VALUE',
  },
  {
    name: 'nested action without a name',
    toml: '[[stages]]\nname = "S"\n[[stages.actions]]\ntype = "emit"',
    severity: 'errors',
    path: 'stages[S].actions[#1].name',
    code: 'MISSING_KEY',
  },
  {
    name: 'duplicate nested action',
    toml: '[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\n[[stages.actions]]\nname = "A"',
    severity: 'errors',
    path: 'stages[S].actions[A]',
    code: 'DUPLICATE_KEY',
  },
  {
    name: 'actions that are not tables',
    toml: '[[stages]]\nname = "S"\nactions = "A"',
    severity: 'errors',
    path: 'stages[S].actions',
    code: 'WRONG_TYPE',
  },
  {
    name: 'near-miss field on an action',
    toml: '[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\ntimout = "5s"',
    severity: 'warnings',
    path: 'stages[S].actions[A].timout',
    code: 'UNKNOWN_FIELD',
    suggestion: 'timeout',
  },
  {
    name: 'dangling access_role',
    toml: '[[repositories]]\nname = "R"\nurl = "https://x/y.git"\naccess_role = "Develper"',
    severity: 'warnings',
    path: 'repositories[R].access_role',
    code: 'DANGLING_REFERENCE',
    suggestion: 'Developer',
  },
  {
    name: 'dangling trigger event and handler',
    toml: '[[triggers]]\nname = "T"\nevent = "Nope"',
    severity: 'warnings',
    path: 'triggers[T].event',
    code: 'DANGLING_REFERENCE',
  },
  {
    name: 'dangling pipeline stages',
    toml: '[[pipelines]]\nname = "P"\nstages = ["Execution", "Excution", "Ghost"]',
    severity: 'warnings',
    path: 'pipelines[P].stages',
    code: 'DANGLING_REFERENCE',
    text: /unknown stages "Excution", "Ghost"/,
    suggestion: 'Execution',
  },
  {
    name: 'dangling authorization role',
    toml: '[[authorization]]\nrole = "Nobody"',
    severity: 'warnings',
    path: 'authorization[Nobody].role',
    code: 'DANGLING_REFERENCE',
  },
  {
    name: 'dangling handler action',
    toml: '[[handlers]]\nname = "H"\naction = "NotifyNobody"',
    severity: 'warnings',
    path: 'handlers[H].action',
    code: 'DANGLING_REFERENCE',
  },
  {
    name: 'dangling depends_on',
    toml: '[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\ndepends_on = ["Trian"]',
    severity: 'warnings',
    path: 'stages[S].actions[A].depends_on',
    code: 'DANGLING_REFERENCE',
    suggestion: 'Train',
  },
  {
    name: 'password in a URL',
    toml: '[[external_services]]\nname = "Db"\nurl = "postgres://etl:s3cret@db:5432/x"',
    severity: 'notices',
    path: 'external_services[Db].url',
    code: 'SECRET_IN_URL',
    text: /\$\{secret:DB_PASSWORD\}/,
  },
  {
    name: 'secret field in plain text',
    toml: '[[external_services]]\nname = "Api"\napi_key = "abc123"',
    severity: 'notices',
    path: 'external_services[Api].api_key',
    code: 'SECRET_IN_DOCUMENT',
  },
];

describe('validateDocument findings', () => {
  it('the base document is clean', () => {
    const report = check('');
    expect(report).toEqual({ errors: [], warnings: [], notices: [] });
  });

  it.each(cases)('$name', ({ toml, severity, path, code, text, suggestion }) => {
    const report = check(toml);
    const found = report[severity].filter((f) => f.path === path && f.code === code);
    expect(found, JSON.stringify(report, null, 1)).toHaveLength(1);
    const [finding] = found;
    if (finding === undefined) return;
    if (text !== undefined) expect(formatFinding(finding)).toMatch(text);
    if (suggestion !== undefined) expect(finding.suggestion).toBe(suggestion);
    // Nothing is reported twice under another severity.
    const others = (['errors', 'warnings', 'notices'] as const).filter((s) => s !== severity);
    for (const other of others)
      expect(report[other].filter((f) => f.path === path && f.code === code)).toEqual([]);
  });
});

describe('section shapes', () => {
  it('a list section of plain values is an error', () => {
    const report = validateDocument(parseDocument('tasks = ["a", "b"]\nmetadata = "x"\n'));
    expect(report.errors.map((e) => [e.path, e.code])).toEqual([
      ['tasks', 'WRONG_SHAPE'],
      ['metadata', 'WRONG_SHAPE'],
    ]);
    expect(formatFinding(report.errors[0] ?? { path: '', message: '', code: '' })).toBe(
      'tasks: has items that are not tables, but tasks is a list of entries (expected [[tasks]] entries)',
    );
    expect(formatFinding(report.errors[1] ?? { path: '', message: '', code: '' })).toBe(
      'metadata: is "x", but metadata is a table (expected a [metadata] table)',
    );
  });
});

describe('references', () => {
  it('resolve against stage actions, stages, built-in actions and Notify<Role>', () => {
    const report = check(`
[[parallel_execution]]
name = "P"
tasks = ["Train", "Execution"]

[[handlers]]
name = "H1"
action = "NotifyDeveloper"

[[handlers]]
name = "H2"
action = "chat.notify"

[[handlers]]
name = "H3"
action = "Train"
`);
    expect(report.warnings).toEqual([]);
  });

  it('are errors in run mode', () => {
    const report = check('[change_management]\napproval_roles = ["Ghost"]', 'run');
    expect(report.errors.map((e) => e.code)).toEqual(['DANGLING_REFERENCE']);
    expect(report.warnings).toEqual([]);
  });

  it('report one finding per field listing every missing name', () => {
    const report = check('[[parallel_execution]]\nname = "C"\ntasks = ["TaskA", "Train", "TaskB"]');
    expect(report.warnings.map(formatFinding)).toEqual([
      expect.stringMatching(
        /^parallel_execution\[C\]\.tasks: unknown tasks "TaskA", "TaskB" \(expected a name from/,
      ),
    ]);
  });
});

describe('what does not warn', () => {
  it.each([
    ['extension sections', '[x_team]\nowner = "platform"'],
    ['extension fields', '[logging]\nx_note = "kept"'],
    [
      'free-form action configuration',
      '[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\ntype = "ai.invoke"\nmodel = "claude"\nprompt = { system = "Be brief" }',
    ],
    [
      'secret references in URLs',
      `[[external_services]]\nname = "Db"\nurl = "postgres://etl:${ref('DB_PASSWORD')}@db/x"`,
    ],
    ['a whole URL as a secret reference', `[[external_services]]\nname = "Db"\nurl = "${ref('DB_URL')}"`],
    ['scp-style git remotes', '[version_control]\nurl = "git@github.com:example/workflow.git"'],
    ['compound durations', '[monitoring]\nhealth_check_interval = "1h 30m"'],
    ['an empty list', 'roles = []'],
  ])('%s', (_name, toml) => {
    const report = validateDocument(parseDocument(toml));
    expect(report).toEqual({ errors: [], warnings: [], notices: [] });
  });
});

describe('messages', () => {
  it('never echo a password from a URL', () => {
    const report = check('[communication]\nprotocol = "postgres://u:hunter2@h/db"');
    expect(JSON.stringify(report)).not.toContain('hunter2');
    expect(report.warnings[0]?.code).toBe('UNKNOWN_VALUE');
  });
});
