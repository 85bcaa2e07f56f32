/**
 * When the audit trail cannot be written after a change was stored, the reply must not claim that
 * nothing changed: it says the version is saved and gives a reference the log carries.
 */
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { DEFAULT_ACCESS_POLICY } from '../../src/access/privileges.js';
import { createDispatcher } from '../../src/commands/dispatch.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { StorageUnavailableError } from '../../src/errors.js';
import { createLogger } from '../../src/logging.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import type { AuditEntry, AuditEntryInput } from '../../src/session/access-port.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { textOf } from '../support/harness.js';

class FailingTrail extends MemoryAccessStore {
  override async appendAudit(_entry: AuditEntryInput): Promise<AuditEntry> {
    throw new StorageUnavailableError();
  }
}

it('says the change is saved, with a reference the log holds, when its audit entry fails', async () => {
  let logged = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logged += chunk.toString();
      callback();
    },
  });
  const sessions = new MemorySessionStore();
  const dispatcher = createDispatcher({
    sessions,
    interactions: new MemoryInteractionStore(),
    accessStore: new FailingTrail(),
    accessPolicy: DEFAULT_ACCESS_POLICY,
    limits: DEFAULT_LIMITS,
    logger: createLogger({ level: 'error', destination }),
  });
  const channel = { platform: 'console', workspace: 'local', channel: 'c' } as const;
  const reply = await dispatcher.handle({
    text: '/create name="Kept"',
    actor: { id: 'a', name: 'a' },
    channel,
  });
  expect(reply.ok).toBe(true);
  const text = textOf(reply);
  expect(text).toContain('Created "Kept" · v1');
  const reference = /v1 is saved, but its audit entry could not be written \(reference ([0-9a-f]{8})\)/.exec(
    text,
  )?.[1];
  expect(reference).toBeDefined();
  expect((await sessions.read(channel)).version).toBe(1);
  expect(logged).toContain(`"reference":"${reference}"`);
  expect(logged).toContain('something was done but its audit entry was not written');
});

it('says a grant is made when its audit entry fails, and the grant holds', async () => {
  const access = new FailingTrail();
  const dispatcher = createDispatcher({
    sessions: new MemorySessionStore(),
    interactions: new MemoryInteractionStore(),
    accessStore: access,
    accessPolicy: { admins: new Set(['console:root']), defaultPrivileges: ['read', 'write'] },
    limits: DEFAULT_LIMITS,
    logger: createLogger({ level: 'silent' }),
  });
  const channel = { platform: 'console', workspace: 'local', channel: 'c' } as const;
  const root = { id: 'root', name: 'root' };
  await dispatcher.handle({ text: '/create name="Kept"', actor: root, channel });
  await dispatcher.handle({ text: '/add roles name="Lead" privileges=["all"]', actor: root, channel });
  const reply = await dispatcher.handle({ text: '/grant bob Lead', actor: root, channel });
  expect(reply.ok).toBe(true);
  expect(textOf(reply)).toMatch(
    /Lead is granted, but its audit entry could not be written \(reference [0-9a-f]{8}\)/,
  );
  expect((await access.read(channel)).grants.map((grant) => grant.user.id)).toEqual(['bob']);
});
