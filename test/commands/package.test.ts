/**
 * /package through a real dispatcher (memory stores, the console's confined files for /load) and a
 * real registry (Debian's docker-registry): a channel that requires review, a version submitted and
 * approved, pushed, then verified as `aitws verify` would, with a policy counting its approvers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfinedFiles } from '../../src/adapters/console/files.js';
import { NOT_REVIEWED, packageCommand } from '../../src/commands/builtin/package.js';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import { COMMANDS } from '../../src/commands/registry.js';
import type { Reply } from '../../src/commands/reply.js';
import type { PackagingSettings } from '../../src/config-oci.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { ANNOTATIONS } from '../../src/oci/annotations.js';
import { type KeyPair, writeKeyPair } from '../../src/oci/keys.js';
import { APPROVAL_ANNOTATION } from '../../src/oci/package-referrers.js';
import type { Policy } from '../../src/oci/policy.js';
import { IN_TOTO_MEDIA_TYPE, type InTotoStatement } from '../../src/oci/provenance.js';
import { parseReference } from '../../src/oci/reference.js';
import { RegistryClient } from '../../src/oci/registry-client.js';
import type { Digest, ImageManifest } from '../../src/oci/types.js';
import { verifyArtifact } from '../../src/oci/verify.js';
import { registrySource } from '../../src/oci/verify-source.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import {
  type DocumentOptions,
  documentText,
  errorCodeOf,
  GRANTS,
  PEOPLE,
  POLICY,
  textOf,
} from '../access/world.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'CPACK' };

let registry: TestRegistry;
let dir: string;
let keys: KeyPair;
let settings: PackagingSettings;

beforeAll(async () => {
  registry = await startRegistry();
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-package-'));
  keys = await writeKeyPair(path.join(dir, 'team'));
  // An empty Docker config folder: the test registry asks for no credentials.
  settings = { signingKey: path.join(dir, 'team.key'), dockerConfig: dir, registries: [registry.host] };
});

afterAll(async () => {
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function dispatcherWith(packaging: PackagingSettings | undefined): Dispatcher {
  return createDispatcher({
    sessions: new MemorySessionStore(),
    interactions: new MemoryInteractionStore(),
    accessStore: new MemoryAccessStore(),
    accessPolicy: POLICY,
    files: createConfinedFiles(dir, DEFAULT_LIMITS.documentBytes),
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
    commands: [...COMMANDS.filter((command) => command.name !== 'package'), packageCommand],
    ...(packaging === undefined ? {} : { packaging }),
  });
}

type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

async function say(dispatcher: Dispatcher, person: Person, text: string): Promise<Reply> {
  return dispatcher.handle({ text, actor: person, channel: CHANNEL });
}

async function ok(dispatcher: Dispatcher, person: Person, text: string): Promise<Reply> {
  const reply = await say(dispatcher, person, text);
  expect(reply.ok, `${text}: ${textOf(reply)}`).toBe(true);
  return reply;
}

let documents = 0;

/** The access world's document (review required) loaded by the admin, its roles granted. */
async function channel(packaging: PackagingSettings | undefined, options: DocumentOptions = {}) {
  const dispatcher = dispatcherWith(packaging);
  documents += 1;
  const file = `document-${documents}.toml`;
  await writeFile(path.join(dir, file), documentText(options));
  await ok(dispatcher, PEOPLE.admin, `/load ${file}`);
  for (const [person, role] of GRANTS) await ok(dispatcher, PEOPLE.admin, `/grant <@${person.id}> ${role}`);
  return dispatcher;
}

async function approvedBy(dispatcher: Dispatcher, approvers: readonly Person[]): Promise<void> {
  await ok(dispatcher, PEOPLE.dev, '/submit ready for the registry');
  for (const person of approvers) await ok(dispatcher, person, '/approve');
}

function dataOf(reply: Reply): { digest: string; ref: string; approvers: string[]; pushed: unknown[] } {
  return reply.data as { digest: string; ref: string; approvers: string[]; pushed: unknown[] };
}

async function verify(ref: string, policy: Policy) {
  const client = new RegistryClient();
  return verifyArtifact(registrySource(client, parseReference(ref)), {
    publicKey: keys.publicKey,
    keyName: 'team.pub',
    policy,
  });
}

/** Every referrer of the artifact, pulled: the SBOM's and the provenance's manifests. */
async function referrersOf(ref: string, digest: string): Promise<ImageManifest[]> {
  const client = new RegistryClient();
  const reference = parseReference(ref);
  const { registry: host, repository } = reference;
  const list = await client.referrers(reference, digest as Digest);
  const manifests: ImageManifest[] = [];
  for (const descriptor of list.descriptors)
    manifests.push(
      (await client.pullManifest({ registry: host, repository, digest: descriptor.digest }))
        .manifest as ImageManifest,
    );
  return manifests;
}

async function provenanceOf(ref: string, manifests: readonly ImageManifest[]): Promise<InTotoStatement> {
  const manifest = manifests.find((m) => m.artifactType === IN_TOTO_MEDIA_TYPE);
  const layer = manifest?.layers[0];
  if (layer === undefined) throw new Error('no provenance referrer');
  const blob = await new RegistryClient().pullBlob(parseReference(ref), layer);
  const envelope = JSON.parse(new TextDecoder().decode(blob.content)) as { payload: string };
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as InTotoStatement;
}

describe('/package', () => {
  it('pushes the approved version, signed, with its approvers in the annotations and the provenance', async () => {
    const dispatcher = await channel(settings);
    await approvedBy(dispatcher, [PEOPLE.approver1, PEOPLE.approver2]);
    const ref = `${registry.host}/team/wf:1.0`;
    const reply = await ok(dispatcher, PEOPLE.dev, `/package ${ref}`);
    const data = dataOf(reply);
    expect(data.ref).toBe(ref);
    expect(data.approvers).toEqual(['Ann', 'Abe']);
    expect(data.pushed).toHaveLength(6);
    expect(textOf(reply)).toContain('approved by Ann, Abe (2 required)');
    expect(textOf(reply)).toContain(data.digest);

    const result = await verify(ref, { min_approvers: 2 });
    expect(result.checks.filter((check) => check.status !== 'pass')).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.digest).toBe(data.digest);

    const artifact = await new RegistryClient().pullManifest(parseReference(ref));
    const annotations = (artifact.manifest as ImageManifest).annotations ?? {};
    expect(annotations[ANNOTATIONS.approvedBy]).toBe('Ann,Abe');
    expect(annotations[ANNOTATIONS.approvedByIds]).toBe(`${PEOPLE.approver1.id},${PEOPLE.approver2.id}`);

    const referrers = await referrersOf(ref, data.digest);
    expect(referrers).toHaveLength(2);
    for (const manifest of referrers)
      expect(manifest.annotations?.[APPROVAL_ANNOTATION]).toMatch(/^v\d+ approved by Ann, Abe at \d{4}-/);
    const statement = await provenanceOf(ref, referrers);
    const internal = statement.predicate.buildDefinition.internalParameters as {
      approval: { required: number; approvers: { name: string; at?: string }[] };
      audit: { kind: string; actor: { name: string }; channel?: unknown }[];
    };
    expect(internal.approval.required).toBe(2);
    expect(internal.approval.approvers.map((person) => person.name)).toEqual(['Ann', 'Abe']);
    expect(internal.approval.approvers.every((person) => person.at !== undefined)).toBe(true);
    expect(internal.audit.map((entry) => `${entry.kind} ${entry.actor.name}`)).toEqual([
      'submit Dana',
      'approve Ann',
      'approve Abe',
      'approved Abe',
    ]);
    expect(internal.audit.some((entry) => 'channel' in entry)).toBe(false);
  });

  it('gives the same digest when the same approval is packaged again', async () => {
    const dispatcher = await channel(settings);
    await approvedBy(dispatcher, [PEOPLE.approver1, PEOPLE.approver2]);
    const first = dataOf(await ok(dispatcher, PEOPLE.dev, `/package ${registry.host}/team/again:1.0`));
    // An edit after the approval changes the draft, not what /package takes.
    await ok(dispatcher, PEOPLE.dev, '/add metadata description="edited after approval"');
    const again = dataOf(await ok(dispatcher, PEOPLE.dev, `/package ${registry.host}/team/again:1.1`));
    expect(again.digest).toBe(first.digest);
  });

  it('packages a one-approver version that a min_approvers 2 policy then refuses', async () => {
    const dispatcher = await channel(settings, { requiredApprovals: 1 });
    await approvedBy(dispatcher, [PEOPLE.approver1]);
    const ref = `${registry.host}/team/single:1.0`;
    expect(dataOf(await ok(dispatcher, PEOPLE.dev, `/package ${ref}`)).approvers).toEqual(['Ann']);
    const strict = await verify(ref, { min_approvers: 2 });
    expect(strict.ok).toBe(false);
    expect(strict.checks.filter((check) => check.status === 'fail').map((check) => check.text)).toEqual([
      'policy min_approvers 2: 1 approver in the provenance',
    ]);
    expect((await verify(ref, { min_approvers: 1 })).ok).toBe(true);
  });

  it('refuses while nothing is approved, as /run does', async () => {
    const dispatcher = await channel(settings);
    await ok(dispatcher, PEOPLE.dev, '/submit');
    const reply = await say(dispatcher, PEOPLE.dev, `/package ${registry.host}/team/none:1.0`);
    expect(reply.ok).toBe(false);
    expect(errorCodeOf(reply)).toBe('NOT_APPROVED');
    expect(textOf(reply)).toContain('/submit');
    const pushed = await new RegistryClient().findManifest(parseReference(`${registry.host}/team/none:1.0`));
    expect(pushed).toBeUndefined();
  });

  it('refuses without a signing key, saying which variable to set', async () => {
    const dispatcher = await channel(undefined);
    await approvedBy(dispatcher, [PEOPLE.approver1, PEOPLE.approver2]);
    const reply = await say(dispatcher, PEOPLE.dev, `/package ${registry.host}/team/unsigned:1.0`);
    expect(reply.ok).toBe(false);
    expect(errorCodeOf(reply)).toBe('NOT_AVAILABLE');
    expect(textOf(reply)).toContain('AITWS_SIGNING_KEY');
    const noKey = await channel({ signingKey: undefined, dockerConfig: dir, registries: [registry.host] });
    expect(textOf(await say(noKey, PEOPLE.dev, `/package ${registry.host}/team/unsigned:1.0`))).toContain(
      'AITWS_SIGNING_KEY',
    );
  });

  it('refuses someone without the execute privilege', async () => {
    const dispatcher = await channel(settings);
    await approvedBy(dispatcher, [PEOPLE.approver1, PEOPLE.approver2]);
    for (const person of [PEOPLE.viewer, PEOPLE.approver1]) {
      const reply = await say(dispatcher, person, `/package ${registry.host}/team/forbidden:1.0`);
      expect(reply.ok).toBe(false);
      expect(errorCodeOf(reply)).toBe('FORBIDDEN');
      expect(textOf(reply)).toContain('needs the execute privilege');
    }
  });

  it('refuses a reference without a tag, and says how to write one', async () => {
    const dispatcher = await channel(settings);
    const pinned = await say(
      dispatcher,
      PEOPLE.dev,
      `/package ${registry.host}/team/wf@sha256:${'a'.repeat(64)}`,
    );
    expect(errorCodeOf(pinned)).toBe('USAGE');
    expect(textOf(pinned)).toContain('has no tag');
    const bare = await say(dispatcher, PEOPLE.dev, `/package ${registry.host}/team/wf`);
    expect(errorCodeOf(bare)).toBe('USAGE');
    expect(textOf(bare)).toContain('e.g. localhost:5000/team/workflow:1.0');
    expect(errorCodeOf(await say(dispatcher, PEOPLE.dev, '/package'))).toBe('USAGE');
  });

  it('says the version was not reviewed when the channel does not require review', async () => {
    const dispatcher = dispatcherWith(settings);
    await ok(dispatcher, PEOPLE.admin, '/create name="Open" version="1.0.0"');
    const ref = `${registry.host}/team/open:1.0`;
    const reply = await ok(dispatcher, PEOPLE.admin, `/package ${ref}`);
    expect(textOf(reply)).toContain('not reviewed');
    const result = await verify(ref, {});
    expect(result.ok).toBe(true);
    const referrers = await referrersOf(ref, result.digest ?? '');
    expect(referrers.map((manifest) => manifest.annotations?.[APPROVAL_ANNOTATION])).toEqual([
      NOT_REVIEWED,
      NOT_REVIEWED,
    ]);
  });
});
