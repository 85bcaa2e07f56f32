/** The CycloneDX 1.6 SBOM of a workflow: reproducible, schema-valid, listing what the workflow uses. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/access/content-hash.js';
import { packageVersion } from '../../src/cli/version.js';
import { parseDocument } from '../../src/document/toml.js';
import { AitwsError } from '../../src/errors.js';
import { buildSbom, registryProviderOf, type SbomInput, type SbomJson } from '../../src/oci/sbom.js';
import { MEDIA_TYPES } from '../../src/oci/types.js';
import { anthropicProvider, ProviderRegistry } from '../../src/runtime/ai/capabilities.js';

const SAMPLE = readFileSync(path.join(import.meta.dirname, '../fixtures/ai.toml'), 'utf8');

/** The sample plus ai.invoke actions: a primary with fallbacks, an ensemble, a handler, a template. */
const AI_STAGES = `
[[stages]]
name = "Review"
order = 9
[[stages.actions]]
name = "Summarise"
type = "ai.invoke"
[stages.actions.with]
prompt = "Summarise {{ inputs.ticket }}"
model = "claude-sonnet-4-5"
fallback = ["claude-haiku-4-5", "gpt-4o"]
[[stages.actions]]
name = "Vote"
type = "ai.invoke"
[stages.actions.with]
prompt = "Label it"
ensemble = { members = 3, models = ["claude-haiku-4-5", "claude-opus-4-1", "claude-haiku-4-5"] }
[[stages.actions]]
name = "Pick"
type = "ai.invoke"
[stages.actions.with]
prompt = "x"
model = "{{ inputs.model }}"
[[stages.actions]]
name = "Notify"
type = "chat.notify"
with = { text = "done", model = "not-a-model" }
`;

const HANDLER = `
[[handlers]]
name = "Explain"
action = "ai.invoke"
with = { prompt = "Explain the failure", model = "claude-haiku-4-5" }
`;

const HASH = `sha256:${'ab'.repeat(32)}`;
const PROMPT_SHA = 'c'.repeat(64);
const PLUGIN_SHA = `sha256:${'d'.repeat(64)}`;

function input(overrides: Partial<SbomInput> = {}): SbomInput {
  const document = parseDocument(`${SAMPLE}\n${AI_STAGES}\n${HANDLER}`);
  return {
    document,
    workflow: { name: 'Sample aiTWS Configuration', version: '1.0.0', contentHash: contentHash(document) },
    timestamp: '2025-01-31T12:00:00.000Z',
    files: [
      { path: 'plugins/pager.js', sha256: PLUGIN_SHA, kind: 'plugin' },
      { path: 'prompts/summarise.md', sha256: PROMPT_SHA, kind: 'prompt' },
    ],
    providerOf: registryProviderOf(new ProviderRegistry([anthropicProvider()])),
    toolVersion: '9.9.9',
    ...overrides,
  };
}

function components(json: SbomJson): NonNullable<SbomJson['components']> {
  return json.components ?? [];
}

function component(json: SbomJson, name: string): NonNullable<SbomJson['components']>[number] {
  const found = components(json).find((item) => item.name === name);
  if (found === undefined) throw new Error(`no component ${name}`);
  return found;
}

type Property = { readonly name?: string; readonly value?: string };

function propertyValues(
  item: { readonly properties?: readonly Property[] | undefined },
  name: string,
): string[] {
  return (item.properties ?? []).filter((entry) => entry.name === name).map((entry) => entry.value ?? '');
}

/** The library's own validator wants ajv-formats-draft2019, which is not installed; this is the same setup. */
function cycloneDxValidator(): (data: unknown) => readonly unknown[] {
  const root = path.dirname(
    createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json'),
  );
  const read = (name: string): Record<string, unknown> =>
    JSON.parse(readFileSync(path.join(root, 'res/schema', name), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({
    strict: false,
    schemas: {
      'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': read('spdx.SNAPSHOT.schema.json'),
      'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': read('jsf-0.82.SNAPSHOT.schema.json'),
      'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': read(
        'cryptography-defs.SNAPSHOT.schema.json',
      ),
    },
  });
  addFormats.default(ajv);
  ajv.addFormat('idn-email', true);
  ajv.addFormat('iri-reference', true);
  const validate = ajv.compile(read('bom-1.6.SNAPSHOT.schema.json'));
  return (data) => (validate(data) ? [] : (validate.errors ?? []));
}

describe('buildSbom', () => {
  it('gives the same bytes for the same input, and different ones when content changes', () => {
    const first = buildSbom(input());
    const second = buildSbom(input());
    expect(Buffer.from(first.bytes).equals(Buffer.from(second.bytes))).toBe(true);
    expect(first.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const other = buildSbom(input({ files: [{ path: 'prompts/summarise.md', sha256: 'e'.repeat(64) }] }));
    expect(other.serialNumber).not.toBe(first.serialNumber);
    expect(Buffer.from(other.bytes).equals(Buffer.from(first.bytes))).toBe(false);
  });

  it('does not depend on the order files are given in', () => {
    const given = input();
    const reversed = buildSbom({ ...given, files: [...(given.files ?? [])].reverse() });
    expect(Buffer.from(reversed.bytes).equals(Buffer.from(buildSbom(given).bytes))).toBe(true);
  });

  it('is CycloneDX 1.6 JSON that passes the 1.6 schema', () => {
    const sbom = buildSbom(input());
    expect(sbom.mediaType).toBe(MEDIA_TYPES.cycloneDx);
    const parsed = JSON.parse(Buffer.from(sbom.bytes).toString('utf8')) as SbomJson;
    expect(parsed).toEqual(sbom.json);
    expect(parsed.bomFormat).toBe('CycloneDX');
    expect(parsed.specVersion).toBe('1.6');
    expect(parsed.$schema).toBe('http://cyclonedx.org/schema/bom-1.6.schema.json');
    expect(parsed.serialNumber).toBe(sbom.serialNumber);
    expect(parsed.metadata?.timestamp).toBe('2025-01-31T12:00:00.000Z');
    const validate = cycloneDxValidator();
    expect(validate(parsed)).toEqual([]);
    // The validator does reject: a serial number that is not a UUID URN fails.
    expect(validate({ ...parsed, serialNumber: 'serial-1' })).not.toEqual([]);
  });

  it('describes the workflow itself with its content hash', () => {
    const given = input();
    const workflow = buildSbom(given).json.metadata?.component;
    expect(workflow).toMatchObject({
      type: 'application',
      name: 'Sample aiTWS Configuration',
      version: '1.0.0',
      'bom-ref': 'workflow',
      hashes: [{ alg: 'SHA-256', content: given.workflow.contentHash.slice('sha256:'.length) }],
    });
    expect(workflow === undefined ? [] : propertyValues(workflow, 'aitws:content-hash')).toEqual([
      given.workflow.contentHash,
    ]);
  });

  it('lists every model ai.invoke calls (primary, fallbacks, ensemble, handler) once, with its supplier', () => {
    const json = buildSbom(input()).json;
    const models = components(json).filter((item) => item.type === 'machine-learning-model');
    expect(models.map((item) => item.name)).toEqual([
      'claude-haiku-4-5',
      'claude-opus-4-1',
      'claude-sonnet-4-5',
      'gpt-4o',
    ]);
    expect(component(json, 'claude-sonnet-4-5').supplier).toEqual({ name: 'anthropic' });
    // No configured provider serves it: named, but with no supplier rather than a guessed one.
    expect(component(json, 'gpt-4o').supplier).toBeUndefined();
    const haiku = component(json, 'claude-haiku-4-5');
    expect(propertyValues(haiku, 'aitws:use').sort()).toEqual(['ensemble', 'fallback', 'primary']);
    expect(propertyValues(haiku, 'aitws:used-by').sort()).toEqual([
      'handlers[Explain]',
      'stages[Review].actions[Summarise]',
      'stages[Review].actions[Vote]',
    ]);
    expect(components(json).some((item) => item.name.includes('{{') || item.name === 'not-a-model')).toBe(
      false,
    );
  });

  it('lists the default model for an action that names none, when the caller knows it', () => {
    const document = parseDocument(
      '[metadata]\nname = "W"\nversion = "1"\n[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\ntype = "ai.invoke"\nwith = { prompt = "hi" }\n',
    );
    const base = {
      document,
      workflow: { name: 'W', version: '1', contentHash: HASH },
      timestamp: new Date(0),
    };
    expect(components(buildSbom(base).json)).toEqual([]);
    const json = buildSbom({ ...base, defaultModel: 'claude-sonnet-4-5' }).json;
    expect(components(json).map((item) => [item.type, item.name])).toEqual([
      ['machine-learning-model', 'claude-sonnet-4-5'],
    ]);
  });

  it('lists external services with their endpoints, without the credentials in their URLs', () => {
    const sbom = buildSbom(input());
    expect(sbom.json.services?.map((service) => [service.name, service.endpoints])).toEqual([
      ['Database', ['postgres://example.com:5432/dbname']],
      ['MessageQueue', ['amqp://example.com:5672/vhost']],
    ]);
    expect(
      sbom.json.services?.[0] === undefined
        ? []
        : propertyValues(sbom.json.services[0], 'aitws:service-type'),
    ).toEqual(['PostgreSQL']);
    expect(Buffer.from(sbom.bytes).toString('utf8')).not.toContain('password');
  });

  it('keeps tokens out of endpoints and lists a service once when its name repeats', () => {
    const document = parseDocument(
      [
        '[metadata]\nname = "W"\nversion = "1"',
        '[[external_services]]\nname = "Hook"\nurl = "https://ghp_secret@hooks.example/in?api_key=abc&x=1"',
        '[[external_services]]\nname = "Hook"\nurl = "https://other.example/"',
        `[[external_services]]\nname = "Vault"\nurl = "https://\${secret:VAULT_USER}:\${secret:VAULT_PW}@vault.example"`,
      ].join('\n'),
    );
    const sbom = buildSbom({
      document,
      workflow: { name: 'W', version: '1', contentHash: HASH },
      timestamp: new Date(0),
    });
    expect(sbom.json.services?.map((service) => [service.name, service.endpoints])).toEqual([
      ['Hook', ['https://hooks.example/in?api_key=****&x=1']],
      ['Vault', ['https://vault.example']],
    ]);
    expect(Buffer.from(sbom.bytes).toString('utf8')).not.toMatch(/ghp_secret|abc|VAULT/);
  });

  it('lists repositories as data components with a VCS reference', () => {
    const repository = component(buildSbom(input()).json, 'Primary Repository');
    expect(repository.type).toBe('data');
    expect(repository.externalReferences).toEqual([
      { type: 'vcs', url: 'https://github.com/example/repo.git' },
    ]);
    expect(propertyValues(repository, 'aitws:access-role')).toEqual(['Developer']);
  });

  it('lists packaged files with their SHA-256', () => {
    const json = buildSbom(input()).json;
    expect(component(json, 'prompts/summarise.md')).toMatchObject({
      type: 'file',
      hashes: [{ alg: 'SHA-256', content: PROMPT_SHA }],
    });
    expect(component(json, 'plugins/pager.js').hashes).toEqual([{ alg: 'SHA-256', content: 'd'.repeat(64) }]);
  });

  it('names aitws and its version as the tool, and makes the workflow depend on everything listed', () => {
    const { toolVersion, ...withoutVersion } = input();
    expect(toolVersion).toBe('9.9.9');
    const json = buildSbom(withoutVersion).json;
    expect(json.metadata?.tools).toEqual({
      components: [
        { type: 'application', name: 'aitws', version: packageVersion(), 'bom-ref': 'tool:aitws' },
      ],
    });
    const workflow = json.dependencies?.find((entry) => entry.ref === 'workflow');
    expect(workflow?.dependsOn).toContain('model:claude-sonnet-4-5');
    expect(workflow?.dependsOn).toContain('service:Database');
    expect(workflow?.dependsOn).toContain('file:prompts/summarise.md');
  });

  it('refuses a hash that is not SHA-256 hex and a timestamp that is not a date', () => {
    expect(() => buildSbom(input({ files: [{ path: 'p.md', sha256: 'md5:abc' }] }))).toThrow(AitwsError);
    expect(() => buildSbom(input({ timestamp: 'yesterday' }))).toThrow(/not a date/);
  });
});
