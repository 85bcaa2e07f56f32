/**
 * The SBOM of a packaged workflow (issue #18 point 3): CycloneDX 1.6 JSON describing the workflow
 * (metadata.component) and what it is made of and talks to: the models its ai.invoke actions call,
 * its external services (with their endpoints), its repositories, the files packaged with it
 * (prompts, skills, plugins) with their SHA-256, and aitws itself as the tool that wrote it.
 *
 * Reproducible, because the artifact's digest must not change when nothing did: the caller fixes
 * the timestamp, every bom-ref is derived from a name, lists are sorted, and the serial number is a
 * name-based UUID of the BOM's own bytes rather than a random one.
 */
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { packageVersion } from '../cli/version.js';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { ProviderRegistry } from '../runtime/ai/capabilities.js';
import { declaredRepositories, declaredServices, type ModelSite, modelSites } from './sbom-document.js';
import { MEDIA_TYPES } from './types.js';

type NormalizedBom = Serialize.JSON.Types.Normalized.Bom;
type NormalizedService = Serialize.JSON.Types.Normalized.Service;

/** The library has no model for a service's endpoints, so they are added to its output. */
export type SbomJson = Omit<NormalizedBom, 'services'> & {
  services?: (NormalizedService & { endpoints?: string[] })[];
};

/** A file packaged with the workflow. */
export interface SbomFile {
  /** As the document refers to it, e.g. `prompts/classify.md`. */
  readonly path: string;
  /** 64 hex digits, with or without `sha256:`. */
  readonly sha256: string;
  /** `prompt`, `skill`, `plugin`: recorded as a property. */
  readonly kind?: string;
}

export interface SbomInput {
  readonly document: AitwsDocument;
  readonly workflow: { readonly name: string; readonly version: string; readonly contentHash: string };
  /** Fixed by the caller (the approval's time, say): a clock here would change the digest. */
  readonly timestamp: Date | string;
  readonly files?: readonly SbomFile[];
  /** Who serves a model for a capability (the supplier); `registryProviderOf` adapts the runtime's. */
  readonly providerOf?: (model: string, capability: string) => string | undefined;
  /** The model an ai.invoke action without `model` gets. */
  readonly defaultModel?: string;
  /** Defaults to the installed package's version. */
  readonly toolVersion?: string;
}

export interface Sbom {
  readonly bytes: Uint8Array;
  readonly json: SbomJson;
  readonly mediaType: typeof MEDIA_TYPES.cycloneDx;
  readonly serialNumber: string;
}

const SHA256_HEX = /^(?:sha256:)?([0-9a-f]{64})$/;
const SHA256 = Enums.HashAlgorithm['SHA-256'];
/** RFC 9562's URL namespace: the serial's name is a URL of ours. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

export function registryProviderOf(registry: ProviderRegistry): NonNullable<SbomInput['providerOf']> {
  return (model, capability) => {
    const found = registry.check(capability, model);
    return found instanceof AitwsError ? undefined : found.provider.name;
  };
}

function sha256Hex(value: string, what: string): string {
  const match = SHA256_HEX.exec(value.trim().toLowerCase());
  if (match?.[1] === undefined)
    throw new AitwsError('VALIDATION', `The SHA-256 of ${what} is not 64 hex digits: "${value}".`, {
      hint: 'Give it as sha256:<64 hex digits> or the bare hex.',
    });
  return match[1];
}

function timestampOf(value: Date | string): Date {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime()))
    throw new AitwsError('VALIDATION', `The SBOM timestamp "${String(value)}" is not a date.`, {
      hint: 'Give an ISO 8601 time, e.g. 2025-01-31T12:00:00Z.',
    });
  return date;
}

/** Each name and value once: a model used the same way by two actions is one `aitws:use`. */
function properties(entries: readonly (readonly [string, string | undefined])[]): Models.PropertyRepository {
  const repository = new Models.PropertyRepository();
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    if (value === undefined || seen.has(`${name}\u0000${value}`)) continue;
    seen.add(`${name}\u0000${value}`);
    repository.add(new Models.Property(name, value));
  }
  return repository;
}

function hashes(hex: string): Models.HashDictionary {
  return new Models.HashDictionary([[SHA256, hex]]);
}

function modelComponents(input: SbomInput): Models.Component[] {
  const byModel = new Map<string, ModelSite[]>();
  for (const site of modelSites(input.document, input.defaultModel)) {
    byModel.set(site.model, [...(byModel.get(site.model) ?? []), site]);
  }
  return [...byModel].map(([model, sites]) => {
    const first = sites[0] as ModelSite;
    const provider = input.providerOf?.(model, first.capability);
    const uses = sites.flatMap((site): [string, string][] => [
      ['aitws:use', site.use],
      ['aitws:used-by', site.where],
    ]);
    return new Models.Component(Enums.ComponentType.MachineLearningModel, model, {
      bomRef: `model:${model}`,
      ...(provider === undefined ? {} : { supplier: new Models.OrganizationalEntity({ name: provider }) }),
      properties: properties([['aitws:capability', first.capability], ...uses]),
    });
  });
}

function repositoryComponents(document: AitwsDocument): Models.Component[] {
  return declaredRepositories(document).map((repository) => {
    const references = new Models.ExternalReferenceRepository();
    if (repository.url !== undefined)
      references.add(new Models.ExternalReference(repository.url, Enums.ExternalReferenceType.VCS));
    return new Models.Component(Enums.ComponentType.Data, repository.name, {
      bomRef: `repository:${repository.name}`,
      externalReferences: references,
      properties: properties([['aitws:access-role', repository.accessRole]]),
    });
  });
}

function fileComponents(files: readonly SbomFile[]): Models.Component[] {
  const seen = new Set<string>();
  return files.flatMap((file) => {
    if (seen.has(file.path)) return [];
    seen.add(file.path);
    return [
      new Models.Component(Enums.ComponentType.File, file.path, {
        bomRef: `file:${file.path}`,
        hashes: hashes(sha256Hex(file.sha256, file.path)),
        properties: properties([['aitws:kind', file.kind]]),
      }),
    ];
  });
}

function services(document: AitwsDocument): Models.Service[] {
  return declaredServices(document).map(
    (service) =>
      new Models.Service(service.name, {
        bomRef: `service:${service.name}`,
        properties: properties([['aitws:service-type', service.type]]),
      }),
  );
}

function workflowComponent(input: SbomInput, dependsOn: readonly Models.BomRef[]): Models.Component {
  const { name, version, contentHash } = input.workflow;
  const hex = sha256Hex(contentHash, `workflow ${name}`);
  return new Models.Component(Enums.ComponentType.Application, name, {
    bomRef: 'workflow',
    version,
    hashes: hashes(hex),
    properties: properties([['aitws:content-hash', `sha256:${hex}`]]),
    dependencies: new Models.BomRefRepository(dependsOn),
  });
}

function buildBom(input: SbomInput): Models.Bom {
  const components = [
    ...modelComponents(input),
    ...repositoryComponents(input.document),
    ...fileComponents(input.files ?? []),
  ];
  const serviceList = services(input.document);
  const tool = new Models.Component(Enums.ComponentType.Application, 'aitws', {
    bomRef: 'tool:aitws',
    version: input.toolVersion ?? packageVersion(),
  });
  const metadata = new Models.Metadata({
    timestamp: timestampOf(input.timestamp),
    tools: new Models.Tools({ components: new Models.ComponentRepository([tool]) }),
    component: workflowComponent(
      input,
      [...components, ...serviceList].map((item) => item.bomRef),
    ),
  });
  return new Models.Bom({
    metadata,
    components: new Models.ComponentRepository(components),
    services: new Models.ServiceRepository(serviceList),
  });
}

/** RFC 9562 §5.5: SHA-1 of namespace and name, version 5, variant 10. */
function uuidV5(name: string): string {
  const namespace = Buffer.from(URL_NAMESPACE.replaceAll('-', ''), 'hex');
  const bytes = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function addEndpoints(json: SbomJson, document: AitwsDocument): void {
  const urls = new Map(declaredServices(document).map((service) => [`service:${service.name}`, service.url]));
  for (const service of json.services ?? []) {
    const url = urls.get(service['bom-ref'] ?? '');
    if (url !== undefined) service.endpoints = [url];
  }
}

function serialize(bom: Models.Bom, document: AitwsDocument): SbomJson {
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const json = JSON.parse(serializer.serialize(bom, { sortLists: true })) as SbomJson;
  addEndpoints(json, document);
  return json;
}

export function buildSbom(input: SbomInput): Sbom {
  const bom = buildBom(input);
  const unnamed = JSON.stringify(serialize(bom, input.document));
  const digest = createHash('sha256').update(unnamed, 'utf8').digest('hex');
  bom.serialNumber = `urn:uuid:${uuidV5(`https://aitws.dev/sbom/sha256/${digest}`)}`;
  const json = serialize(bom, input.document);
  return {
    bytes: new TextEncoder().encode(JSON.stringify(json)),
    json,
    mediaType: MEDIA_TYPES.cycloneDx,
    serialNumber: bom.serialNumber,
  };
}
