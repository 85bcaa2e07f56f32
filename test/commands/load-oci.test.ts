/**
 * The registry round trip in chat, through a real dispatcher and a real registry (Debian's
 * docker-registry): a version approved and packaged in one channel with /package is loaded into
 * another with /load oci://, only after it verifies against the operator's key and policy; a
 * registry the operator did not list is never spoken to; registry credentials come from a
 * `${secret:…}` resolved by the workers' secret source, against a registry with token auth.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfinedFiles } from '../../src/adapters/console/files.js';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/reply.js';
import type { PackagingSettings } from '../../src/config-oci.js';
import { stringifyDocument } from '../../src/document/index.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { writeKeyPair } from '../../src/oci/keys.js';
import { environmentSecrets } from '../../src/runtime/secrets.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import { documentText, errorCodeOf, GRANTS, PEOPLE, POLICY, textOf } from '../access/world.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startTokenServer, type TokenServer } from '../support/registry-token.js';

const SOURCE: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'CSOURCE' };
const TARGET: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'CTARGET' };
const PASSWORD = 'registry-password-do-not-show';

let registry: TestRegistry;
let tokens: TokenServer;
let guarded: TestRegistry;
let dir: string;
let settings: PackagingSettings;

beforeAll(async () => {
  registry = await startRegistry();
  tokens = await startTokenServer({ users: { robot: PASSWORD } });
  guarded = await startRegistry({ tokenAuth: tokens });
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-load-oci-'));
  await writeKeyPair(path.join(dir, 'team'));
  await writeKeyPair(path.join(dir, 'other'));
  await writeFile(path.join(dir, 'two.json'), '{"min_approvers": 2}');
  await writeFile(path.join(dir, 'three.json'), '{"min_approvers": 3}');
  settings = {
    signingKey: path.join(dir, 'team.key'),
    dockerConfig: dir,
    registries: [registry.host, guarded.host],
    verifyKey: path.join(dir, 'team.pub'),
    verifyPolicy: path.join(dir, 'two.json'),
  };
});

afterAll(async () => {
  await guarded?.stop();
  await tokens?.stop();
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

function dispatcherWith(packaging: PackagingSettings, sessions = new MemorySessionStore()): Dispatcher {
  return createDispatcher({
    sessions,
    interactions: new MemoryInteractionStore(),
    accessStore: new MemoryAccessStore(),
    accessPolicy: POLICY,
    files: createConfinedFiles(dir, DEFAULT_LIMITS.documentBytes),
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
    packaging,
    secrets: environmentSecrets({
      AITWS_SECRET_REGISTRY: `robot:${PASSWORD}`,
      AITWS_SECRET_BROKEN: 'no-colon',
    }),
  });
}

const say = (d: Dispatcher, person: Person, text: string, channel = TARGET): Promise<Reply> =>
  d.handle({ text, actor: person, channel });

async function ok(d: Dispatcher, person: Person, text: string, channel = TARGET): Promise<Reply> {
  const reply = await say(d, person, text, channel);
  expect(reply.ok, `${text}: ${textOf(reply)}`).toBe(true);
  return reply;
}

let files = 0;

/** A version of the access world's document approved by Ann and Abe in SOURCE and packaged to `ref`. */
async function packaged(d: Dispatcher, ref: string, extra = ''): Promise<string> {
  files += 1;
  const file = `source-${files}.toml`;
  await writeFile(path.join(dir, file), documentText());
  await ok(d, PEOPLE.admin, `/load ${file}`, SOURCE);
  for (const [person, role] of GRANTS) await ok(d, PEOPLE.admin, `/grant <@${person.id}> ${role}`, SOURCE);
  await ok(d, PEOPLE.dev, '/submit for the registry', SOURCE);
  await ok(d, PEOPLE.approver1, '/approve', SOURCE);
  await ok(d, PEOPLE.approver2, '/approve', SOURCE);
  const reply = await ok(d, PEOPLE.dev, `/package ${ref}${extra}`, SOURCE);
  return (reply.data as { digest: string }).digest;
}

describe('/load oci://', () => {
  it('loads an approved, packaged version after it verifies, with one line per check', async () => {
    const sessions = new MemorySessionStore();
    const d = dispatcherWith(settings, sessions);
    const ref = `${registry.host}/team/roundtrip:1.0`;
    const digest = await packaged(d, ref);
    const reply = await ok(d, PEOPLE.dev, `/load oci://${ref}`);
    expect((reply.data as { digest: string }).digest).toBe(digest);
    const text = textOf(reply);
    expect(text).toContain(`Loaded ${`oci://${ref}`} (${digest.slice(0, 19)}…, verified)`);
    expect(text).toContain('✔ policy min_approvers 2: 2 approvers in the provenance');
    expect(text).not.toContain('✖');
    const loaded = await sessions.read(TARGET);
    const source = await sessions.read(SOURCE);
    expect(stringifyDocument(loaded.document ?? {})).toBe(stringifyDocument(source.document ?? {}));
    const audit = textOf(await ok(d, PEOPLE.admin, '/audit', SOURCE));
    expect(audit).toContain(`${ref} ${digest}`);
  });

  it('loads nothing when the policy wants more approvers, or the key is not the signer', async () => {
    const sessions = new MemorySessionStore();
    const d = dispatcherWith(settings, sessions);
    const ref = `${registry.host}/team/strict:1.0`;
    await packaged(d, ref);
    const strict = dispatcherWith({ ...settings, verifyPolicy: path.join(dir, 'three.json') }, sessions);
    const refused = await say(strict, PEOPLE.dev, `/load oci://${ref}`);
    expect(errorCodeOf(refused)).toBe('NOT_VERIFIED');
    expect(textOf(refused)).toContain('✖ policy min_approvers 3: 2 approvers in the provenance');
    expect(textOf(refused)).toContain('nothing was loaded');
    const stranger = dispatcherWith({ ...settings, verifyKey: path.join(dir, 'other.pub') }, sessions);
    const forged = await say(stranger, PEOPLE.dev, `/load oci://${ref}`);
    expect(errorCodeOf(forged)).toBe('NOT_VERIFIED');
    expect(textOf(forged)).toContain('✖');
    expect((await sessions.read(TARGET)).document).toBeNull();
  });

  it('needs a verify key, a listed registry and a tag, and speaks to nothing otherwise', async () => {
    const sessions = new MemorySessionStore();
    const { verifyKey: _unused, ...keyless } = settings;
    const noKey = await say(
      dispatcherWith(keyless, sessions),
      PEOPLE.dev,
      `/load oci://${registry.host}/team/x:1`,
    );
    expect(errorCodeOf(noKey)).toBe('NOT_AVAILABLE');
    expect(textOf(noKey)).toContain('AITWS_VERIFY_KEY');
    const unlisted = await say(
      dispatcherWith(settings, sessions),
      PEOPLE.dev,
      '/load oci://127.0.0.1:1/team/x:1',
    );
    expect(errorCodeOf(unlisted)).toBe('FORBIDDEN');
    expect(textOf(unlisted)).toContain('AITWS_REGISTRIES');
    const untagged = await say(
      dispatcherWith(settings, sessions),
      PEOPLE.dev,
      `/load oci://${registry.host}/team/x`,
    );
    expect(errorCodeOf(untagged)).toBe('USAGE');
    const mixed = await say(dispatcherWith(settings, sessions), PEOPLE.dev, '/load ai.toml plain_http=true');
    expect(errorCodeOf(mixed)).toBe('USAGE');
    expect((await sessions.read(TARGET)).document).toBeNull();
  });
});

describe('registry credentials from a secret', () => {
  it('pushes and loads through token auth with credentials from a secret, never showing the password', async () => {
    const d = dispatcherWith(settings);
    const ref = `${guarded.host}/team/guarded:1.0`;
    const anonymous = await say(d, PEOPLE.dev, `/load oci://${ref}`);
    expect(anonymous.ok).toBe(false);
    const digest = await packaged(d, ref, ` credentials="\${secret:registry}"`);
    const reply = await ok(d, PEOPLE.dev, `/load oci://${ref} credentials="\${secret:registry}"`);
    expect((reply.data as { digest: string }).digest).toBe(digest);
    expect(tokens.requests.some((request) => request.user === 'robot')).toBe(true);
    expect(JSON.stringify(reply)).not.toContain(PASSWORD);
  });

  it('refuses credentials typed as text, a missing secret and one not of USER:PASSWORD', async () => {
    const d = dispatcherWith(settings);
    const ref = `${guarded.host}/team/guarded:2.0`;
    const typed = await say(d, PEOPLE.dev, `/load oci://${ref} credentials="robot:${PASSWORD}"`);
    expect(errorCodeOf(typed)).toBe('USAGE');
    expect(JSON.stringify(typed)).not.toContain(PASSWORD);
    const missing = await say(d, PEOPLE.dev, `/load oci://${ref} credentials="\${secret:absent}"`);
    expect(errorCodeOf(missing)).toBe('SECRET_MISSING');
    expect(textOf(missing)).toContain('AITWS_SECRET_ABSENT');
    const broken = await say(d, PEOPLE.dev, `/load oci://${ref} credentials="\${secret:broken}"`);
    expect(errorCodeOf(broken)).toBe('CONFIG');
    expect(JSON.stringify(broken)).not.toContain('no-colon');
  });
});
