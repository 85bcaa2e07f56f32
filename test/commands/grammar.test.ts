import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlDate } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import type { ParseCommandOptions } from '../../src/commands/grammar/index.js';
import { normalizeChatText, parseCommandLine } from '../../src/commands/grammar/index.js';
import { bareWordValue, parseTomlValue } from '../../src/commands/grammar/values.js';
import type { ParsedCommand } from '../../src/commands/types.js';
import type { TomlValue } from '../../src/document/types.js';
import { AitwsError, LimitError } from '../../src/errors.js';
import { CLI_EXAMPLES } from '../support/paths.js';
import { random } from '../support/random.js';

interface Expected {
  readonly name: string;
  readonly positionals?: readonly string[];
  readonly params?: readonly (readonly [string, TomlValue])[];
}

/** Compares key order and values at once; `raw` has its own tests. */
function shapeOf(command: ParsedCommand): Required<Expected> {
  return {
    name: command.name,
    positionals: command.positionals,
    params: command.params.map((param) => [param.key, param.value] as const),
  };
}

function expectParsed(text: string, expected: Expected): void {
  expect(shapeOf(parseCommandLine(text))).toEqual({ positionals: [], params: [], ...expected });
}

function rejection(text: string, options: ParseCommandOptions = {}): AitwsError {
  try {
    parseCommandLine(text, options);
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('cli-examples.txt', () => {
  const expectations: Readonly<Record<string, Expected>> = {
    '/create': { name: 'create' },
    '/add roles name="DataScientist" privileges=["read", "execute"]': {
      name: 'add',
      positionals: ['roles'],
      params: [
        ['name', 'DataScientist'],
        ['privileges', ['read', 'execute']],
      ],
    },
    '/add repositories name="SecondaryRepo" url="https://github.com/example/secondary-repo.git" access_role="DataScientist"':
      {
        name: 'add',
        positionals: ['repositories'],
        params: [
          ['name', 'SecondaryRepo'],
          ['url', 'https://github.com/example/secondary-repo.git'],
          ['access_role', 'DataScientist'],
        ],
      },
    '/add external_services name="NoSQLDatabase" type="MongoDB" url="mongodb://user:password@example.com:27017/dbname"':
      {
        name: 'add',
        positionals: ['external_services'],
        params: [
          ['name', 'NoSQLDatabase'],
          ['type', 'MongoDB'],
          ['url', 'mongodb://user:password@example.com:27017/dbname'],
        ],
      },
    '/add events name="ModelErrorEvent" type="model_error"': {
      name: 'add',
      positionals: ['events'],
      params: [
        ['name', 'ModelErrorEvent'],
        ['type', 'model_error'],
      ],
    },
    '/add triggers name="ModelErrorTrigger" event="ModelErrorEvent" handler="HandleModelError"': {
      name: 'add',
      positionals: ['triggers'],
      params: [
        ['name', 'ModelErrorTrigger'],
        ['event', 'ModelErrorEvent'],
        ['handler', 'HandleModelError'],
      ],
    },
    '/add monitors name="CPUUsageMonitor" type="cpu_usage" target="ServerA"': {
      name: 'add',
      positionals: ['monitors'],
      params: [
        ['name', 'CPUUsageMonitor'],
        ['type', 'cpu_usage'],
        ['target', 'ServerA'],
      ],
    },
    '/add notifications name="SlackNotification" type="slack" target="https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"':
      {
        name: 'add',
        positionals: ['notifications'],
        params: [
          ['name', 'SlackNotification'],
          ['type', 'slack'],
          ['target', 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
        ],
      },
    '/add pipelines name="DataProcessingPipeline" stages=["DataIngestion", "DataCleaning", "DataAnalysis", "DataVisualization"]':
      {
        name: 'add',
        positionals: ['pipelines'],
        params: [
          ['name', 'DataProcessingPipeline'],
          ['stages', ['DataIngestion', 'DataCleaning', 'DataAnalysis', 'DataVisualization']],
        ],
      },
    '/add tasks name="FixBug123" description="Fix bug 123 in the user registration process" priority="high"':
      {
        name: 'add',
        positionals: ['tasks'],
        params: [
          ['name', 'FixBug123'],
          ['description', 'Fix bug 123 in the user registration process'],
          ['priority', 'high'],
        ],
      },
    '/show': { name: 'show' },
  };
  const lines = readFileSync(CLI_EXAMPLES, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    // Blank lines and the `#` origin line are skipped, as the console skips them.
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('has an expectation for every line of the file', () => {
    expect(lines).toEqual(Object.keys(expectations));
  });

  it.each(lines)('%s', (line) => {
    const expected = expectations[line];
    expect(expected).toBeDefined();
    if (expected !== undefined) expectParsed(line, expected);
  });

  it.each(lines)('survives normalisation unchanged: %s', (line) => {
    expect(normalizeChatText(line)).toBe(line);
  });
});

describe('normalizeChatText', () => {
  const cases: readonly { name: string; input: string; output: string }[] = [
    {
      name: 'curly double quotes',
      input: '/add roles name=“DataScientist”',
      output: '/add roles name="DataScientist"',
    },
    { name: 'low-high double quotes', input: 'name=„Daten“', output: 'name="Daten"' },
    { name: 'reversed double quote', input: 'name=‟x”', output: 'name="x"' },
    { name: 'curly single quotes as delimiters', input: 'name=‘Admin’', output: "name='Admin'" },
    { name: 'low single quote opener', input: 'name=‚Admin‛', output: "name='Admin'" },
    { name: 'curly quotes in an array', input: 'p=[“read”, ‘execute’]', output: `p=["read", 'execute']` },
    { name: 'apostrophe inside curly double quotes', input: 'd=“Don’t panic”', output: 'd="Don’t panic"' },
    { name: 'apostrophe inside curly single quotes', input: 'n=‘Bob’s role’', output: "n='Bob’s role'" },
    { name: 'apostrophe in a bare word', input: 'note=Don’t now=“x”', output: 'note=Don’t now="x"' },
    { name: 'straight apostrophe in a bare word', input: "note=Don't now=“x”", output: `note=Don't now="x"` },
    { name: 'curly quotes inside a straight string', input: 'd="say “hi”"', output: 'd="say “hi”"' },
    { name: 'straight quote inside a curly string', input: 'd=“a "b" c”', output: 'd="a \\"b\\" c"' },
    { name: 'escaped quote before curly ones', input: 'd="a \\" “b”"', output: 'd="a \\" “b”"' },
    {
      name: 'curly quotes inside a multi-line string',
      input: 'd="""x “y”""" e=“z”',
      output: 'd="""x “y”""" e="z"',
    },
    {
      name: 'Slack link with a label',
      input: 'url=<https://github.com/x.git|github.com/x.git>',
      output: 'url=https://github.com/x.git',
    },
    {
      name: 'Slack link without a label',
      input: 'url=<https://example.com/a?b=c>',
      output: 'url=https://example.com/a?b=c',
    },
    { name: 'Slack mailto link', input: 'to=<mailto:a@b.io|a@b.io>', output: 'to=a@b.io' },
    { name: 'Slack user mention', input: '/grant <@U123> role=admin', output: '/grant <@U123> role=admin' },
    { name: 'Slack user mention with a label', input: '/grant <@U123|bob>', output: '/grant <@U123|bob>' },
    {
      name: 'Slack user mention with a label of two words',
      input: '/grant <@U123|Bob Smith>',
      output: '/grant <@U123>',
    },
    { name: 'Slack channel mention', input: 'channel=<#C1|general>', output: 'channel=#general' },
    { name: 'Slack channel mention without a name', input: 'channel=<#C1>', output: 'channel=#C1' },
    { name: 'Slack special mention', input: 'to=<!here>', output: 'to=@here' },
    { name: 'angle brackets that are not markup', input: 'd="<b>"', output: 'd="<b>"' },
    {
      name: '&amp; in a value',
      input: 'url="https://x.io/?a=1&amp;b=2"',
      output: 'url="https://x.io/?a=1&b=2"',
    },
    { name: '&lt; and &gt;', input: 'd="a &lt; b &gt; c"', output: 'd="a < b > c"' },
    { name: 'entities decoded once', input: 'd="&amp;lt;"', output: 'd="&lt;"' },
    {
      name: 'escaped brackets never become a link',
      input: 'd=&lt;https://x.io|y&gt;',
      output: 'd=<https://x.io|y>',
    },
    { name: 'other entities left alone', input: 'd="&quot;&nbsp;"', output: 'd="&quot;&nbsp;"' },
    { name: 'NBSP between tokens', input: '/add\u00A0roles\u00A0name="X"', output: '/add roles name="X"' },
    {
      name: 'narrow and figure spaces',
      input: '/add\u202Froles\u2007name="X"',
      output: '/add roles name="X"',
    },
    { name: 'ideographic and em spaces', input: '/show\u3000roles\u2003x', output: '/show roles x' },
    { name: 'zero-width characters', input: '\uFEFF/show ro\u200Bles', output: '/show roles' },
    { name: 'CRLF', input: '/add x t="""a\r\nb"""\r\n', output: '/add x t="""a\nb"""' },
    { name: 'surrounding whitespace', input: '  \n /show  \t', output: '/show' },
    { name: 'trailing code fence', input: '/add roles name="X"\n```', output: '/add roles name="X"' },
    { name: 'leading code fence', input: '```\n/show roles', output: '/show roles' },
    { name: 'surrounding code fence', input: '```\n/add roles name="X"\n```', output: '/add roles name="X"' },
    { name: 'one-line code fence', input: '```/show roles```', output: '/show roles' },
    { name: 'code fence with a language tag', input: '```text\n/show\n```', output: '/show' },
    { name: 'unknown first word after a fence is kept', input: '```show\nroles```', output: 'show\nroles' },
    { name: 'fence inside a value left alone', input: '/add x v=```a```', output: '/add x v=```a```' },
    { name: 'inline backticks', input: '`/show roles`', output: '/show roles' },
    { name: 'double inline backticks', input: '``/add x v=`a` ok``', output: '/add x v=`a` ok' },
    { name: 'two code spans are not a wrapper', input: '`a` and `b`', output: '`a` and `b`' },
    { name: 'empty input', input: '   ', output: '' },
  ];

  it.each(cases)('$name', ({ input, output }) => {
    expect(normalizeChatText(input)).toBe(output);
  });
});

describe('parseCommandLine', () => {
  const cases: readonly { name: string; input: string; expected: Expected }[] = [
    {
      name: 'leading slash is optional',
      input: 'add roles name="X"',
      expected: { name: 'add', positionals: ['roles'], params: [['name', 'X']] },
    },
    {
      name: 'command name is lower-cased',
      input: '/SHOW Roles',
      expected: { name: 'show', positionals: ['Roles'] },
    },
    {
      name: 'bare words are positionals',
      input: '/remove logging level',
      expected: { name: 'remove', positionals: ['logging', 'level'] },
    },
    {
      name: 'a number as a positional',
      input: '/history 3',
      expected: { name: 'history', positionals: ['3'] },
    },
    {
      name: 'a quoted positional',
      input: `/remove roles "Data Scientist" 'x\\y'`,
      expected: { name: 'remove', positionals: ['roles', 'Data Scientist', 'x\\y'] },
    },
    {
      name: 'positionals between params',
      input: '/add roles name="X" extra',
      expected: { name: 'add', positionals: ['roles', 'extra'], params: [['name', 'X']] },
    },
    {
      name: 'param order preserved',
      input: '/x b=1 a=2 c=3',
      expected: {
        name: 'x',
        params: [
          ['b', 1],
          ['a', 2],
          ['c', 3],
        ],
      },
    },
    {
      name: 'tabs and newlines separate tokens',
      input: '/add\troles\n  name="X"',
      expected: { name: 'add', positionals: ['roles'], params: [['name', 'X']] },
    },
    {
      name: 'spaces around =',
      input: '/add roles name = "X" type= "t" kind ="k" level = high',
      expected: {
        name: 'add',
        positionals: ['roles'],
        params: [
          ['name', 'X'],
          ['type', 't'],
          ['kind', 'k'],
          ['level', 'high'],
        ],
      },
    },
    {
      name: 'dotted key',
      input: '/set metadata.name="X"',
      expected: { name: 'set', params: [['metadata.name', 'X']] },
    },
    {
      name: 'key with hyphen and underscore',
      input: '/x _a-b_c=1',
      expected: { name: 'x', params: [['_a-b_c', 1]] },
    },
    {
      name: 'array with spaces, commas and brackets inside strings',
      input: `/x v=[ "a, b" , "c]d", 'e}f' ,"g[h" ]`,
      expected: { name: 'x', params: [['v', ['a, b', 'c]d', 'e}f', 'g[h']]] },
    },
    {
      name: 'nested arrays',
      input: '/x v=[[1, 2], ["a"], []]',
      expected: { name: 'x', params: [['v', [[1, 2], ['a'], []]]] },
    },
    {
      name: 'multi-line array with a comment',
      input: '/x v=[\n  1, # one ]\n  2,\n]',
      expected: { name: 'x', params: [['v', [1, 2]]] },
    },
    {
      name: '# inside a string in an array',
      input: '/x v=["#a"]',
      expected: { name: 'x', params: [['v', ['#a']]] },
    },
    {
      name: 'inline table',
      input: '/x meta={k = "v", n = 1}',
      expected: { name: 'x', params: [['meta', { k: 'v', n: 1 }]] },
    },
    {
      name: 'inline table with an array and a nested table',
      input: '/x t={a = [1, 2], b = {c = true}, "q k" = "}"}',
      expected: { name: 'x', params: [['t', { a: [1, 2], b: { c: true }, 'q k': '}' }]] },
    },
    {
      name: 'array of inline tables',
      input: '/x actions=[{name = "A"}, {name = "B"}]',
      expected: { name: 'x', params: [['actions', [{ name: 'A' }, { name: 'B' }]]] },
    },
    {
      name: 'literal string',
      input: `/x path='C:\\Users\\x' q='say "hi"'`,
      expected: {
        name: 'x',
        params: [
          ['path', 'C:\\Users\\x'],
          ['q', 'say "hi"'],
        ],
      },
    },
    { name: 'escaped quote', input: '/x v="a\\"b"', expected: { name: 'x', params: [['v', 'a"b']] } },
    {
      name: 'unicode escape',
      input: '/x v="\\u00e9\\U0001F600"',
      expected: { name: 'x', params: [['v', 'é😀']] },
    },
    {
      name: 'tab escape and backslash',
      input: '/x v="a\\tb\\\\"',
      expected: { name: 'x', params: [['v', 'a\tb\\']] },
    },
    { name: 'empty string', input: '/x v=""', expected: { name: 'x', params: [['v', '']] } },
    {
      name: 'string with = and spaces',
      input: '/x v="a = b c"',
      expected: { name: 'x', params: [['v', 'a = b c']] },
    },
    {
      name: 'multi-line basic string',
      input: '/x v="""\nline1\nline2"""',
      expected: { name: 'x', params: [['v', 'line1\nline2']] },
    },
    {
      name: 'multi-line string ending in a quote',
      input: '/x v="""say "hi""""',
      expected: { name: 'x', params: [['v', 'say "hi"']] },
    },
    {
      name: 'multi-line literal string',
      input: "/x v='''a\\b\n'c''''",
      expected: { name: 'x', params: [['v', "a\\b\n'c'"]] },
    },
    { name: 'bare word', input: '/x priority=high', expected: { name: 'x', params: [['priority', 'high']] } },
    {
      name: 'bare URL with = in it',
      input: '/x url=https://x.y/z?a=b&c=d',
      expected: { name: 'x', params: [['url', 'https://x.y/z?a=b&c=d']] },
    },
    {
      name: 'bare word with #',
      input: '/x channel=#general n=1#2',
      expected: {
        name: 'x',
        params: [
          ['channel', '#general'],
          ['n', '1#2'],
        ],
      },
    },
    {
      name: 'bare version number',
      input: '/x version=1.0.0',
      expected: { name: 'x', params: [['version', '1.0.0']] },
    },
    {
      name: 'bare word with a quote inside',
      input: "/x note=Don't",
      expected: { name: 'x', params: [['note', "Don't"]] },
    },
    {
      name: 'integer too large for a number, quoted, stays text',
      input: '/x id="123456789012345678901"',
      expected: { name: 'x', params: [['id', '123456789012345678901']] },
    },
    {
      name: 'numbers',
      input: '/x port=443 neg=-3 ratio=0.5 exp=1e3 hex=0x1F big=1_000',
      expected: {
        name: 'x',
        params: [
          ['port', 443],
          ['neg', -3],
          ['ratio', 0.5],
          ['exp', 1000],
          ['hex', 31],
          ['big', 1000],
        ],
      },
    },
    {
      name: 'booleans',
      input: '/x force=true dry=false',
      expected: {
        name: 'x',
        params: [
          ['force', true],
          ['dry', false],
        ],
      },
    },
    {
      name: 'quoted number stays text',
      input: '/x port="443"',
      expected: { name: 'x', params: [['port', '443']] },
    },
  ];

  it.each(cases)('$name', ({ input, expected }) => {
    expectParsed(input, expected);
  });

  it.each([
    ['when=1979-05-27', '1979-05-27'],
    ['when=07:32:00', '07:32:00.000'],
    ['when=1979-05-27T07:32:00Z', '1979-05-27T07:32:00.000Z'],
    ['when="1979-05-27"', null],
  ])('date and time: %s', (token, iso) => {
    const [param] = parseCommandLine(`/x ${token}`).params;
    if (iso === null) {
      expect(param?.value).toBe('1979-05-27');
    } else {
      expect(param?.value).toBeInstanceOf(TomlDate);
      expect(param?.value instanceof TomlDate ? param.value.toISOString() : undefined).toBe(iso);
    }
  });

  it.each([
    ['name="DataScientist"', '"DataScientist"'],
    ['privileges=["read", "execute"]', '["read", "execute"]'],
    ['priority=high', 'high'],
    ['name = "x"', '"x"'],
    ["t={a = 'b'}", "t={a = 'b'}".slice(2)],
  ])('raw is the source text of the value: %s', (token, raw) => {
    expect(parseCommandLine(`/x ${token}`).params[0]?.raw).toBe(raw);
  });

  it('accepts a command exactly at the length limit', () => {
    expect(parseCommandLine('/show roles', { maxLength: 11 }).name).toBe('show');
  });

  it('accepts nesting up to the limit', () => {
    expect(parseCommandLine(`/x v=${nested(16)}`).params[0]?.raw).toBe(nested(16));
  });
});

describe('parseCommandLine errors', () => {
  const cases: readonly { name: string; input: string; message: RegExp; code?: string }[] = [
    { name: 'empty input', input: '', message: /type a command, e.g\. \/help/ },
    { name: 'blank input', input: '  \n ', message: /type a command, e.g\. \/help/ },
    { name: 'a lone slash', input: '/', message: /type a command, e.g\. \/help/ },
    {
      name: 'command name starting with a digit',
      input: '/1add roles',
      message: /"1add" is not a command name/,
    },
    { name: 'command name with =', input: 'name="x"', message: /"name="x"" is not a command name/ },
    {
      name: 'unterminated double quote',
      input: '/add roles name="Data',
      message: /^name: unclosed quote starting at column 17 — add the missing "\.$/,
    },
    {
      name: 'unterminated literal string',
      input: "/x a=1 path='C:\\x",
      message: /^path: unclosed quote starting at column 13 — add the missing '/,
    },
    {
      name: 'line break inside a one-line string',
      input: '/x name="a\nb"',
      message: /^name: unclosed quote starting at column 9/,
    },
    {
      name: 'unterminated multi-line string',
      input: '/x text="""abc\ndef',
      message: /^text: unclosed quote .* add the missing """/,
    },
    {
      name: 'unterminated quoted positional',
      input: '/remove roles "Data',
      message: /^quoted word: unclosed quote starting at column 15/,
    },
    {
      name: 'unterminated string inside an array',
      input: '/x p=["read]',
      message: /^p: unclosed quote starting at column 7/,
    },
    {
      name: 'unclosed array',
      input: '/add roles privileges=["read", "execute"',
      message: /^privileges: unclosed array starting at column 23 — add the missing \]\.$/,
    },
    { name: 'unclosed nested array', input: '/x v=[[1, 2]', message: /^v: unclosed array .* missing \]\.$/ },
    {
      name: 'unclosed table inside an array',
      input: '/x v=[{a = 1',
      message: /^v: unclosed array .* missing }\]\.$/,
    },
    {
      name: 'unclosed inline table',
      input: '/x meta={k = "v"',
      message: /^meta: unclosed inline table .* missing }\.$/,
    },
    {
      name: 'mismatched brackets',
      input: '/x v=[1, 2}',
      message: /^v: unbalanced brackets, found } at column 11 where \] was expected/,
    },
    {
      name: 'extra closing bracket',
      input: '/x v=[1]]',
      message: /^v: unexpected "\]" right after the value at column 9/,
    },
    { name: 'duplicate key', input: '/add roles name="A" name="B"', message: /^name given twice/ },
    { name: 'duplicate dotted key', input: '/x a.b=1 a.b=2', message: /^a\.b given twice/ },
    {
      name: 'junk after a quoted value',
      input: '/add roles name="a"b',
      message: /^name: unexpected "b" right after the value at column 20/,
    },
    { name: 'missing space between params', input: '/x name="a"type="b"', message: /^name: unexpected "t"/ },
    { name: 'junk after a quoted positional', input: '/x "a"b', message: /^quoted word: unexpected "b"/ },
    {
      name: 'NUL character',
      input: '/add roles name="a\u0000b"',
      message: /^Control character U\+0000 \(NUL\) at column 19/,
    },
    {
      name: 'bell character',
      input: '/add roles name="a\u0007b"',
      message: /^Control character U\+0007 at column 19/,
    },
    {
      name: 'escape character outside a value',
      input: '/show \u001B[31m',
      message: /^Control character U\+001B/,
    },
    { name: 'carriage return', input: '/show\r', message: /^Control character U\+000D/ },
    { name: 'C1 control character', input: '/show \u009B', message: /^Control character U\+009B/ },
    { name: 'control character on a later line', input: '/x\nv="\u0001"', message: /at line 2, column 4/ },
    { name: 'empty value at the end', input: '/add roles name=', message: /^name: empty value — .*name=""/ },
    { name: 'empty value followed by spaces', input: '/add roles name=   ', message: /^name: empty value/ },
    {
      name: 'empty value before another param',
      input: '/add roles name= type="x"',
      message: /^name: empty value/,
    },
    {
      name: 'bare words in an array',
      input: '/add roles privileges=[read, execute]',
      message: /^privileges: read at column 24 needs quotes/,
    },
    {
      name: 'bare word in an inline table',
      input: '/x t={k = v}',
      message: /^t: v at column 11 needs quotes/,
    },
    { name: 'missing comma', input: '/x v=["a" "b"]', message: /^v: missing comma at column 11/ },
    {
      name: 'invalid escape',
      input: '/x name="a\\qb"',
      message: /^name: invalid escape sequence at column 12/,
    },
    {
      name: 'other TOML errors name the param and column',
      input: '/x v=[1,,2]',
      message: /^v: invalid value at column 9/,
    },
    {
      name: 'integer too large inside an array',
      input: '/x v=[123456789012345678901]',
      message: /^v: .*losslessly at column 7/,
    },
    {
      name: 'key repeated inside an inline table',
      input: '/x t={a = 1, a = 2}',
      message: /^t: .* at column 14/,
    },
    {
      name: 'unquoted # inside an array',
      input: '/x channels=[#general]',
      message: /^channels: "#" at column 14 starts a comment/,
    },
    {
      name: 'invalid parameter name',
      input: '/show a?b=1',
      message: /^"a\?b" is not a valid parameter name/,
    },
    {
      name: 'missing parameter name',
      input: '/add ="x"',
      message: /^A parameter name is missing before "=" at column 6/,
    },
    {
      name: 'empty part in a dotted key',
      input: '/x a..b=1',
      message: /^a\.\.b: empty part in the parameter name at column 4/,
    },
    {
      name: 'quoted parameter name',
      input: '/x "name"="x"',
      message: /^Parameter names are written without quotes/,
    },
    {
      name: '__proto__ as a parameter',
      input: '/add x_ext __proto__="x"',
      message: /^"__proto__" can't be used as a parameter name/,
    },
    {
      name: 'constructor in a dotted key',
      input: '/x a.constructor=1',
      message: /^"constructor" can't be used/,
    },
    {
      name: '__proto__ inside an inline table',
      input: '/x t={__proto__ = 1}',
      message: /^t: "__proto__" and "constructor" can't be used as keys/,
    },
    {
      name: 'nesting deeper than 16',
      input: `/add x_deep value=${nested(17)}`,
      message: /^value: value nested more than 16 levels deep/,
      code: 'LIMIT',
    },
    {
      name: 'too long',
      input: `/show ${'x'.repeat(16 * 1024)}`,
      message: /^Command too long: 16390 characters \(the limit is 16384\)/,
      code: 'LIMIT',
    },
  ];

  it.each(cases)('$name', ({ input, message, code }) => {
    const error = rejection(input);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    expect(error.hint).toMatch(/\S/);
    expect(error.code).toBe(code ?? 'PARSE');
  });

  it('rejects a 1 MiB line with a LimitError before scanning it', () => {
    const line = `/add roles name="${'x'.repeat(1024 * 1024)}`;
    expect(() => parseCommandLine(line)).toThrow(LimitError);
    expect(() => parseCommandLine(normalizeChatText(line))).toThrow(LimitError);
  });

  it('rejects a 1 MiB line of unbalanced brackets and curly quotes with a LimitError', () => {
    const line = `/x v=${'[“‘<'.repeat(256 * 1024)}`;
    expect(() => parseCommandLine(normalizeChatText(line))).toThrow(LimitError);
  });

  it('honours a custom maxLength', () => {
    expect(rejection('/show roles', { maxLength: 10 })).toBeInstanceOf(LimitError);
  });

  it('refuses deep nesting before the TOML parser recurses into it', () => {
    const error = rejection(`/x v=${nested(5000)}`, { maxLength: 20_000 });
    expect(error).toBeInstanceOf(LimitError);
    expect(error.message).toMatch(/nested more than 16 levels/);
  });

  it('honours a custom maxDepth', () => {
    expect(rejection('/x v=[[[1]]]', { maxDepth: 2 }).message).toMatch(/nested more than 2 levels/);
  });
});

describe('chat text end to end', () => {
  it.each([
    {
      name: 'Slack text after /aitws with curly quotes and a link',
      input:
        'add repositories name=“SecondaryRepo” url=<https://github.com/example/secondary-repo.git|github.com/example/secondary-repo.git> access_role=“DataScientist”',
      expected: {
        name: 'add',
        positionals: ['repositories'],
        params: [
          ['name', 'SecondaryRepo'],
          ['url', 'https://github.com/example/secondary-repo.git'],
          ['access_role', 'DataScientist'],
        ],
      },
    },
    {
      name: 'bare Slack link value',
      input: 'add notifications target=<https://hooks.slack.com/x?a=1&amp;b=2>',
      expected: {
        name: 'add',
        positionals: ['notifications'],
        params: [['target', 'https://hooks.slack.com/x?a=1&b=2']],
      },
    },
    {
      name: 'curly quotes in an array, NBSP and a code fence',
      input: '```\n/add\u00A0roles name=“DataScientist” privileges=[“read”,\u00A0“execute”]\n```',
      expected: {
        name: 'add',
        positionals: ['roles'],
        params: [
          ['name', 'DataScientist'],
          ['privileges', ['read', 'execute']],
        ],
      },
    },
    {
      name: '&amp; inside a quoted value',
      input: '/add tasks name=“R&amp;D” description=“Fix &lt;login&gt; page”',
      expected: {
        name: 'add',
        positionals: ['tasks'],
        params: [
          ['name', 'R&D'],
          ['description', 'Fix <login> page'],
        ],
      },
    },
  ] satisfies { name: string; input: string; expected: Expected }[])('$name', ({ input, expected }) => {
    expectParsed(normalizeChatText(input), expected);
  });
});

describe('quoted values read without a TOML parse', () => {
  /** Quotes, escapes, tabs, line breaks, C0/C1 controls, DEL, non-ASCII, emoji and a lone surrogate. */
  const PIECES = ['a', 'Z', ' ', '"', "'", '\\', '\\n', '\\u00e9', '\t', '\n', '\r', '\u0001', '\u007f'];
  const MORE = ['\u0085', 'é', '日本', '😀', '\ud800', '$', '{', '}', '[', ']', '=', '#'];

  function readBySmolToml(raw: string): TomlValue | string {
    try {
      return parseToml(`v = ${raw}`).v ?? 'undefined';
    } catch {
      return 'refused';
    }
  }

  function readByGrammar(raw: string): TomlValue | string {
    try {
      return parseTomlValue(raw, { label: 'v', start: 0, text: raw, maxDepth: 10 });
    } catch {
      return 'refused';
    }
  }

  it('gives what smol-toml gives for any one-line quoted text', () => {
    const next = random(7);
    const alphabet = [...PIECES, ...MORE];
    for (let i = 0; i < 4000; i++) {
      const length = Math.floor(next() * 8);
      const body = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)] ?? '').join(
        '',
      );
      for (const quote of ['"', "'"]) {
        const raw = `${quote}${body}${quote}`;
        expect(readByGrammar(raw), JSON.stringify(raw)).toEqual(readBySmolToml(raw));
      }
    }
  });
});

describe('bare words', () => {
  /** What bare words meant before the shortcut: whatever smol-toml reads as a number, boolean or date. */
  function reference(raw: string): TomlValue {
    if (!/^[\w:.+-]+$/.test(raw)) return raw;
    try {
      const value = parseToml(`v = ${raw}`).v;
      return typeof value === 'number' || typeof value === 'boolean' || value instanceof Date ? value : raw;
    } catch {
      return raw;
    }
  }

  it('reads numbers, booleans and dates as TOML does, and the rest as text', () => {
    const words = ['443', '-1', '+2.5', '1e3', 'inf', '-inf', 'nan', 'true', 'false', 'True', 'high', 'T0'];
    const more = ['1979-05-27', '07:32:00', '1979-05-27T07:32:00Z', '0x1F', '0o17', '0b101', '1_000', 'x_1'];
    const odd = ['infinity', 'nanny', 'truex', '+', '-', '.5', '5.', 'e3', '+inf', '1979-05-27T07:32', ''];
    for (const word of [...words, ...more, ...odd]) {
      expect(bareWordValue(word, 'v'), word).toEqual(reference(word));
    }
  });
});
