/**
 * The original aiTWS sample: it must load, validate with exactly the known findings,
 * and survive parse → stringify → parse with every value intact.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  maskDocument,
  parseDocument,
  SECTIONS,
  stringifyDocument,
  validateDocument,
} from '../../src/document/index.js';
import { SAMPLE_TOML } from '../support/paths.js';

/** `${secret:NAME}` built up, so the literal never looks like a mistyped template placeholder. */
const ref = (name: string): string => ['$', '{secret:', name, '}'].join('');

const sampleText = readFileSync(SAMPLE_TOML, 'utf8');

describe('the original sample', () => {
  it('loads into the sections it declares', () => {
    const document = parseDocument(sampleText);
    expect(Object.keys(document)).toContain('metadata');
    expect(document.metadata).toEqual({ name: 'Sample aiTWS Configuration', version: '1.0.0' });
    expect(document.communication).toMatchObject({ port: 443 });
    expect((document.stages as unknown[]).length).toBe(8);
  });

  it('validates with no errors, the three dangling references and eight unknown action types as warnings, and two secret notices', () => {
    const report = validateDocument(parseDocument(sampleText));
    expect(report.errors).toEqual([]);
    const [actionTypes, others] = partition(report.warnings, (w) => w.path.endsWith('.type'));
    // The sample's action types (create_resources, …) are ones no executor runs.
    expect(actionTypes.map((w) => w.code)).toEqual(Array(8).fill('UNKNOWN_VALUE'));
    expect(actionTypes[0]?.path).toBe('stages[Initialization].actions[CreateResources].type');
    expect(others.map((w) => [w.path, w.code, w.message])).toEqual([
      ['branches[ResourcesReadyBranch].if_false', 'DANGLING_REFERENCE', 'unknown stage "ErrorHandling"'],
      ['parallel_execution[ConcurrentTasks].tasks', 'DANGLING_REFERENCE', 'unknown tasks "TaskA", "TaskB"'],
      ['change_management.approval_roles', 'DANGLING_REFERENCE', 'unknown role "Senior Developer"'],
    ]);
    expect(report.notices.map((n) => [n.path, n.code])).toEqual([
      ['external_services[Database].url', 'SECRET_IN_URL'],
      ['external_services[MessageQueue].url', 'SECRET_IN_URL'],
    ]);
    expect(report.notices[0]?.expected).toContain(ref('DATABASE_PASSWORD'));
    expect(report.notices[1]?.expected).toContain(ref('MESSAGE_QUEUE_PASSWORD'));
    expect(JSON.stringify(report)).not.toContain(':password@');
  });

  it('turns the dangling references into errors in run mode', () => {
    const document = parseDocument(sampleText);
    const report = validateDocument(document, { mode: 'run' });
    expect(report.errors.map((e) => e.code)).toEqual([
      'DANGLING_REFERENCE',
      'DANGLING_REFERENCE',
      'DANGLING_REFERENCE',
    ]);
    expect(report.warnings.every((w) => w.path.endsWith('.type'))).toBe(true);
    expect(report.errors[0]?.path).toBe('branches[ResourcesReadyBranch].if_false');
    expect(report.errors[0]?.message).toBe('unknown stage "ErrorHandling"');
    expect(validateDocument(document).warnings).toHaveLength(11);
  });

  it('keeps every value through parse → stringify → parse', () => {
    const original = parse(sampleText);
    const again = parse(stringifyDocument(parseDocument(sampleText)));
    expect(again).toEqual(original);
  });

  it('writes canonical output that is idempotent and in registry order', () => {
    const once = stringifyDocument(parseDocument(sampleText));
    expect(stringifyDocument(parseDocument(once))).toBe(once);
    const headers = [...once.matchAll(/^\[\[?([a-z_]+)[\].]/gm)].map((m) => m[1]);
    const order = SECTIONS.map((s) => s.name);
    const firstSeen = [...new Set(headers)];
    expect(firstSeen).toEqual([...firstSeen].sort((a = '', b = '') => order.indexOf(a) - order.indexOf(b)));
    expect(once.startsWith('[metadata]\nname = ')).toBe(true);
    expect(once).toContain('\n\n[communication]\n');
  });

  it('masks the URL passwords in a copy and leaves the document untouched', () => {
    const document = parseDocument(sampleText);
    const masked = stringifyDocument(maskDocument(document));
    expect(masked).toContain('postgres://user:****@example.com:5432/dbname');
    expect(masked).toContain('amqp://user:****@example.com:5672/vhost');
    expect(masked).not.toContain(':password@');
    expect(stringifyDocument(document)).toContain('postgres://user:password@example.com');
  });
});

describe('canonical form', () => {
  const messy = `
title = "loose"
zeta = { b = 2, a = 1 }
[x_team]
owner = "platform"
[communication]
port = 8443
zz_extra = "kept"
protocol = "QUIC"
aa_extra = 1979-05-27T07:32:00Z
[metadata]
version = "2.0.0"
name = "Messy"
[[stages]]
order = 1
name = "Only"
[[stages.actions]]
type = "emit"
name = "Ping"
custom = { retries = 2, model = "m" }
[alpha]
big = 9007199254740991
local = 1979-05-27
time = 07:32:00
float = 1.5
`;

  it('keeps unknown sections, fields, dates and integers', () => {
    const document = parseDocument(messy);
    expect(parse(stringifyDocument(document))).toEqual(parse(messy));
  });

  it('orders known sections and fields by the registry, unknown ones alphabetically', () => {
    const text = stringifyDocument(parseDocument(messy));
    const sections = [...text.matchAll(/^\[\[?([a-z_]+)/gm)].map((m) => m[1]);
    expect([...new Set(sections)]).toEqual([
      'metadata',
      'communication',
      'stages',
      'alpha',
      'x_team',
      'zeta',
    ]);
    expect(text.indexOf('name = "Messy"')).toBeLessThan(text.indexOf('version = "2.0.0"'));
    const communication = text.slice(text.indexOf('[communication]'), text.indexOf('[[stages]]'));
    expect(communication.split('\n').filter(Boolean)).toEqual([
      '[communication]',
      'protocol = "QUIC"',
      'port = 8443',
      'aa_extra = 1979-05-27T07:32:00.000Z',
      'zz_extra = "kept"',
    ]);
    expect(text).toContain(
      'name = "Ping"\ntype = "emit"\n\n[stages.actions.custom]\nmodel = "m"\nretries = 2\n',
    );
    // TOML puts plain top-level values before the first table header, whatever their name.
    expect(text.startsWith('title = "loose"\n\n[metadata]\n')).toBe(true);
    expect(text.endsWith('[zeta]\na = 1\nb = 2\n')).toBe(true);
    expect(stringifyDocument(parseDocument(text))).toBe(text);
  });

  it('does not depend on the key order of the input', () => {
    const a = parseDocument(
      '[logging]\nlevel = "info"\ndestination = "CloudWatch"\n[metadata]\nname = "A"\n',
    );
    const b = parseDocument(
      '[metadata]\nname = "A"\n[logging]\ndestination = "CloudWatch"\nlevel = "info"\n',
    );
    expect(stringifyDocument(a)).toBe(stringifyDocument(b));
  });
});

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}
