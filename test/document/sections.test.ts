import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  getSection,
  resolveSectionPath,
  SECTIONS,
  sectionNames,
  validateDocument,
} from '../../src/document/index.js';
import { getNestedList } from '../../src/document/sections.js';
import type { AitwsDocument, NestedListSpec, SectionSpec, TomlTable } from '../../src/document/types.js';

const TABLES = [
  'metadata',
  'communication',
  'languages',
  'keys',
  'ai_governance',
  'logging',
  'monitoring',
  'error_handling',
  'auditing',
  'version_control',
  'change_management',
];
const LISTS = [
  'roles',
  'repositories',
  'templates',
  'dependencies',
  'stages',
  'conditions',
  'branches',
  'parallel_execution',
  'external_services',
  'authorization',
  'events',
  'triggers',
  'handlers',
  'monitors',
  'notifications',
  'pipelines',
  'tasks',
];

/** Enough of the command grammar to read the registry's examples: `key=value` with TOML values. */
function exampleFields(example: string): { path: string; fields: TomlTable } {
  const match = /^\/add ([a-z_.]+) (.*)$/.exec(example);
  if (match === null) throw new Error(`not an /add command: ${example}`);
  const [, path = '', rest = ''] = match;
  const pairs = [...rest.matchAll(/([a-z_]+)=("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+)/g)];
  const fields = parse(pairs.map(([, key, value]) => `${key} = ${value}`).join('\n')) as TomlTable;
  return { path, fields };
}

function documentFor(
  section: SectionSpec,
  child: NestedListSpec | undefined,
  fields: TomlTable,
): AitwsDocument {
  if (child !== undefined) {
    const { [child.parentParam]: parent, ...entry } = fields;
    return { [section.name]: [{ [section.key ?? 'name']: parent ?? '', [child.name]: [entry] }] };
  }
  return { [section.name]: section.kind === 'table' ? fields : [fields] };
}

describe('the section registry', () => {
  it('has every table and list section, in canonical order', () => {
    expect(
      SECTIONS.filter((s) => s.kind === 'table')
        .map((s) => s.name)
        .sort(),
    ).toEqual([...TABLES].sort());
    expect(
      SECTIONS.filter((s) => s.kind === 'list')
        .map((s) => s.name)
        .sort(),
    ).toEqual([...LISTS].sort());
    expect(sectionNames().slice(0, 3)).toEqual(['metadata', 'communication', 'roles']);
    expect(sectionNames().slice(-5)).toEqual([
      'languages',
      'monitors',
      'notifications',
      'pipelines',
      'tasks',
    ]);
  });

  it('keys list sections by name, authorization by role', () => {
    for (const name of LISTS) expect(getSection(name)?.key).toBe(name === 'authorization' ? 'role' : 'name');
    for (const section of SECTIONS.filter((s) => s.kind === 'list')) {
      const key = section.fields.find((f) => f.name === section.key);
      expect(key?.required, section.name).toBe(true);
    }
  });

  it('describes every section and field', () => {
    for (const section of SECTIONS) {
      expect(section.description.length, section.name).toBeGreaterThan(10);
      for (const field of section.fields)
        expect(field.description.length, `${section.name}.${field.name}`).toBeGreaterThan(3);
    }
  });

  it('resolves section paths, including stages.actions', () => {
    expect(resolveSectionPath('roles')?.section.name).toBe('roles');
    expect(resolveSectionPath('roles')?.child).toBeUndefined();
    const nested = resolveSectionPath('stages.actions');
    expect(nested?.section.name).toBe('stages');
    expect(nested?.child).toMatchObject({ name: 'actions', key: 'name', parentParam: 'stage' });
    expect(getNestedList('stages', 'actions')).toBe(nested?.child);
    for (const path of ['rols', 'roles.actions', 'stages.actions.more', '', 'stages.']) {
      expect(resolveSectionPath(path), path).toBeUndefined();
    }
  });

  it('carries the supported values and ranges of the sample comments', () => {
    const field = (section: string, name: string) => getSection(section)?.fields.find((f) => f.name === name);
    expect(field('communication', 'protocol')?.knownValues).toEqual(['TLS', 'DTLS', 'QUIC']);
    expect(field('communication', 'port')).toMatchObject({ type: 'integer', min: 1, max: 65535 });
    expect(field('ai_governance', 'data_privacy')?.knownValues).toEqual(['GDPR', 'CCPA', 'PIPEDA', 'LGPD']);
    expect(field('logging', 'level')?.knownValues).toEqual(['error', 'warn', 'info', 'debug']);
    expect(field('keys', 'key_store')?.knownValues).toEqual(
      expect.arrayContaining(['AWS_KMS', 'GCP_KMS', 'Azure_Key_Vault', 'HashiCorp_Vault']),
    );
    expect(field('keys', 'key_rotation_interval')?.type).toBe('duration');
    expect(field('repositories', 'access_role')?.references).toBe('roles');
  });

  const examples: [string, string][] = [
    ...SECTIONS.map((s): [string, string] => [s.name, s.example]),
    ['stages.actions', getNestedList('stages', 'actions')?.example ?? ''],
  ];
  describe.each(examples)('%s example', (path, example) => {
    it('is a valid /add command for its section', () => {
      const { path: target, fields } = exampleFields(example);
      expect(target).toBe(path);
      const resolved = resolveSectionPath(target);
      if (resolved === undefined) throw new Error(`unknown section ${target}`);
      const report = validateDocument(documentFor(resolved.section, resolved.child, fields));
      expect(report.errors).toEqual([]);
      expect(report.warnings.filter((w) => w.code !== 'DANGLING_REFERENCE')).toEqual([]);
    });
  });
});

describe('generated zod schemas', () => {
  const errorCodes = (document: AitwsDocument): string[] =>
    validateDocument(document).errors.map((finding) => `${finding.path} ${finding.code}`);

  it('accept the sample shapes and reject wrong ones', () => {
    expect(errorCodes({ communication: { protocol: 'TLS', port: 443 } })).toEqual([]);
    expect(errorCodes({ communication: { port: 0 } })).toEqual(['communication.port OUT_OF_RANGE']);
    expect(errorCodes({ roles: [{ name: 'A', privileges: ['read'] }] })).toEqual([]);
    expect(errorCodes({ roles: [{ privileges: ['read'] }] })).toEqual(['roles[#1].name MISSING_KEY']);
    expect(errorCodes({ roles: { name: 'A' } })).toEqual(['roles WRONG_SHAPE']);
    const stage = (action: TomlTable): AitwsDocument => ({ stages: [{ name: 'S', actions: [action] }] });
    expect(errorCodes(stage({ name: 'A', timeout: '5 minutes', model: 'x' }))).toEqual([]);
    expect(errorCodes(stage({ name: 'A', timeout: 'later' }))).toEqual([
      'stages[S].actions[A].timeout INVALID_VALUE',
    ]);
  });

  it('keep unknown fields', () => {
    const document: AitwsDocument = { logging: { level: 'info', retention_days: 3 } };
    expect(validateDocument(document).errors).toEqual([]);
    expect(document.logging).toEqual({ level: 'info', retention_days: 3 });
  });
});
