/** The small text helpers: did-you-mean, durations and secret masking. */
import { describe, expect, it } from 'vitest';
import { isDuration, parseDuration } from '../../src/document/duration.js';
import { maskDocument, maskSecrets, parseDocument, sectionNames, suggest } from '../../src/document/index.js';
import { SECRET_PATTERNS } from '../../src/document/redact.js';
import { editDistance } from '../../src/document/suggest.js';
import type { AitwsDocument } from '../../src/document/types.js';
import { AitwsError } from '../../src/errors.js';

/** `${secret:NAME}` built up, so the literal never looks like a mistyped template placeholder. */
const ref = (name: string): string => ['$', '{secret:', name, '}'].join('');

describe('suggest', () => {
  const fields = ['name', 'privileges', 'description'];
  it.each([
    ['rols', sectionNames(), 'roles'],
    ['role', sectionNames(), 'roles'],
    ['repository', sectionNames(), 'repositories'],
    ['ROLES', sectionNames(), 'roles'],
    ['trigers', sectionNames(), 'triggers'],
    ['rloes', sectionNames(), 'roles'],
    ['ai_gov', sectionNames(), 'ai_governance'],
    ['stage', sectionNames(), 'stages'],
    ['privilges', fields, 'privileges'],
    ['nmae', fields, 'name'],
    ['nonsense', sectionNames(), undefined],
    ['x', sectionNames(), undefined],
    ['', sectionNames(), undefined],
    ['zzzzzzzzzz', fields, undefined],
  ])('%j → %j', (input, candidates, expected) => {
    expect(suggest(input, candidates)).toBe(expected);
  });

  it('measures transpositions as one edit', () => {
    expect(editDistance('rloes', 'roles')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('gives up on very long input without scanning it', () => {
    expect(suggest('r'.repeat(100_000), sectionNames())).toBeUndefined();
  });
});

describe('durations', () => {
  it.each([
    ['30 days', 30 * 86_400_000],
    ['5 minutes', 300_000],
    ['5 seconds', 5_000],
    ['90s', 90_000],
    ['1h', 3_600_000],
    ['2 weeks', 14 * 86_400_000],
    ['1.5 hours', 5_400_000],
    ['500ms', 500],
    ['1 minute', 60_000],
    ['1h 30m', 5_400_000],
    ['1h30m', 5_400_000],
    ['2 hours and 15 minutes', 8_100_000],
    ['  10 Seconds ', 10_000],
    ['0s', 0],
    ['1 year', 365 * 86_400_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(isDuration(text)).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['30', /unit is missing/],
    ['30 dayz', /unknown unit "dayz"/],
    ['-5s', /cannot read/],
    ['five minutes', /cannot read/],
    ['5 minutes ago', /cannot read "ago"/],
    ['1e3s', /unknown unit "e"/],
    ['9'.repeat(200), /longer than 100 characters/],
  ])('%j is refused clearly', (text, reason) => {
    expect(() => parseDuration(text)).toThrow(reason);
    expect(() => parseDuration(text)).toThrow(AitwsError);
    expect(isDuration(text)).toBe(false);
  });

  it('says what a duration looks like', () => {
    try {
      parseDuration('soon');
    } catch (error) {
      expect((error as AitwsError).hint).toMatch(/"30 days", "5 minutes", "90s"/);
    }
    expect(isDuration(42)).toBe(false);
  });
});

describe('maskSecrets', () => {
  it.each([
    ['postgres://etl:s3cret@host', 'postgres://etl:****@host'],
    ['postgres://user:password@example.com:5432/dbname', 'postgres://user:****@example.com:5432/dbname'],
    ['amqp://user:p@ss:w0rd!@mq.example.com:5672/vhost', 'amqp://user:****@mq.example.com:5672/vhost'],
    ['mongodb+srv://app:%40bc$&*()@cluster0/db', 'mongodb+srv://app:****@cluster0/db'],
    ['redis://:onlypass@cache:6379/0', 'redis://:****@cache:6379/0'],
    [
      'a postgres://a:b@h1/x and mysql://c:d@h2/y here',
      'a postgres://a:****@h1/x and mysql://c:****@h2/y here',
    ],
    [
      'url = "amqp://user:password@example.com:5672/vhost"',
      'url = "amqp://user:****@example.com:5672/vhost"',
    ],
    ['{"url":"postgres://etl:s3cret@host/db","n":1}', '{"url":"postgres://etl:****@host/db","n":1}'],
    ['<postgres://etl:s3cret@host|db>', '<postgres://etl:****@host|db>'],
    [`postgres://etl:${ref('DB_PASSWORD')}@host/db`, `postgres://etl:${ref('DB_PASSWORD')}@host/db`],
    ['postgres://etl:****@host', 'postgres://etl:****@host'],
    ['https://example.com/@someone', 'https://example.com/@someone'],
    ['https://host:8080/path', 'https://host:8080/path'],
    ['ssh://git@github.com/org/repo.git', 'ssh://git@github.com/org/repo.git'],
    ['mail audit@example.com', 'mail audit@example.com'],
    [
      'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX',
      'https://hooks.slack.com/services/T000/B000/****',
    ],
    ['https://discord.com/api/webhooks/123/abc-DEF_ghi', 'https://discord.com/api/webhooks/123/****'],
    ['/add external_services name="A" api_key="abc123"', '/add external_services name="A" api_key="****"'],
    ['DB_PASSWORD=hunter2 LOG=1', 'DB_PASSWORD=**** LOG=1'],
    [
      'https://api.example.com/v1?access_token=abc&page=2',
      'https://api.example.com/v1?access_token=****&page=2',
    ],
    ['{"password":"hunter2","user":"u"}', '{"password":"****","user":"u"}'],
    [`token = "${ref('API_TOKEN')}"`, `token = "${ref('API_TOKEN')}"`],
    ['max_tokens = 1024', 'max_tokens = 1024'],
    [`use ${ref('NAME')} instead`, `use ${ref('NAME')} instead`],
  ])('%j → %j', (input, expected) => {
    expect(maskSecrets(input)).toBe(expected);
  });

  // Inputs that make a backtracking pattern slow. Timing belongs in bench/; here the answers must
  // be right: nothing masked in them, and a real secret after them still masked.
  it.each([
    ['a run of letters', 'a'.repeat(500_000)],
    ['a run of dots', 'a.'.repeat(250_000)],
    ['a URL with credentials but no host', `x://${'u'.repeat(100_000)}:${'p'.repeat(100_000)}`],
    ['a key word repeated', 'password'.repeat(50_000)],
  ])('answers right on pathological input: %s', (_, input) => {
    expect(maskSecrets(input)).toBe(input);
    expect(maskSecrets(`${input} x://user:secret@host`)).toBe(`${input} x://user:****@host`);
  });

  it('exports its patterns for reuse', () => {
    expect(SECRET_PATTERNS.map((p) => p.name)).toContain('url-credentials');
    for (const { pattern } of SECRET_PATTERNS) expect(pattern.global).toBe(true);
  });
});

describe('maskDocument', () => {
  const text = `
[keys]
key_store = "env"

[[external_services]]
name = "Db"
url = "postgres://etl:s3cret@db:5432/x"
api_key = "live-key"

[[external_services]]
name = "Ref"
api_key = "${ref('REF_KEY')}"

[x_vendor]
client_secret = "cs"
nested = { db_password = "pw", port = 1 }
note = "ok"
`;

  it('masks secret fields, secret-looking keys and URL passwords in a copy', () => {
    const document = parseDocument(text);
    const before = structuredClone(document);
    const masked = maskDocument(document);
    expect(masked).toEqual({
      keys: { key_store: 'env' },
      external_services: [
        { name: 'Db', url: 'postgres://etl:****@db:5432/x', api_key: '****' },
        { name: 'Ref', api_key: ref('REF_KEY') },
      ],
      x_vendor: { client_secret: '****', nested: { db_password: '****', port: 1 }, note: 'ok' },
    });
    expect(document).toEqual(before);
  });

  it('masks fields the registry marks secret even without a secret-looking name', () => {
    const document: AitwsDocument = {
      stages: [{ name: 'S', actions: [{ name: 'A', password: 'pw', note: 'n' }] }],
    };
    expect(maskDocument(document)).toEqual({
      stages: [{ name: 'S', actions: [{ name: 'A', password: '****', note: 'n' }] }],
    });
  });
});
