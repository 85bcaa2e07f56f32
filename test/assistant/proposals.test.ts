import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/reply.js';
import { isTable } from '../../src/document/index.js';
import { propose } from '../support/fake-anthropic.js';
import { textOf } from '../support/harness.js';
import { type AssistantHarness, createAssistantHarness, errorCode } from './harness.js';

let h: AssistantHarness;

beforeEach(async () => {
  h = await createAssistantHarness();
});

afterEach(async () => {
  await h.close();
});

const AUDITOR = '/add roles name="Auditor" privileges=["read"]';
const AUDIT_REPO =
  '/add repositories name="Audit" url="https://github.com/acme/audit.git" access_role="Auditor"';
const TYPO = '/add rols name="Nobody"';
const FILE_READ = '/load /etc/passwd';

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.flatMap((entry) => (isTable(entry) ? [String(entry.name)] : [])) : [];
}

async function draft() {
  const record = await h.store.read(h.channel);
  return {
    version: record.version,
    roles: names(record.document?.roles),
    repos: names(record.document?.repositories),
  };
}

async function proposeAuditor(chat = true): Promise<Reply> {
  h.fake.enqueue(
    propose([AUDITOR, TYPO, AUDIT_REPO, FILE_READ], 'A read-only Auditor role and a repository it can see.'),
  );
  const ask = chat ? h.chat : h.run;
  return ask('/ask add a read-only auditor role and a repo it can see');
}

describe('proposals', () => {
  it('are validated against a copy of the draft: invalid commands are left out, nothing changes', async () => {
    const before = await draft();
    const reply = await proposeAuditor();
    expect(reply.ok).toBe(true);
    expect(reply.visibility).toBe('channel');
    const text = textOf(reply);
    expect(text).toContain('A read-only Auditor role and a repository it can see.');
    expect(text).toContain(`${AUDITOR}\n${AUDIT_REPO}`);
    expect(text).toMatch(/Left out, because they fail against the draft \(v1\):/);
    expect(text).toContain(`${TYPO} — Unknown section "rols".`);
    expect(text).toContain(`${FILE_READ} — /load cannot be proposed`);
    expect(reply.buttons.map((b) => b.label)).toEqual(['Apply', 'Discard']);
    expect(await draft()).toEqual(before);
  });

  it('apply on confirm, as the person who clicked, as one change that one /undo reverts', async () => {
    const offer = await proposeAuditor();
    const applied = await h.click(offer, 'Apply', 'bob');
    expect(applied.ok).toBe(true);
    expect(textOf(applied)).toMatch(/^bob applied 2 proposed commands as one change · v2\./);
    const after = await draft();
    expect(after).toMatchObject({ version: 2 });
    expect(after.roles).toContain('Auditor');
    expect(after.repos).toContain('Audit');
    const [latest] = await h.store.history(h.channel, 1);
    expect(latest?.by).toBe('bob');
    expect(latest?.change).toContain(AUDITOR);

    expect(textOf(await h.click(offer, 'Apply', 'carol'))).toBe('Already done by bob.');
    expect((await draft()).version).toBe(2);

    expect(textOf(await h.run('/undo', 'carol'))).toBe('Undid v2 (back to v1) · now v3');
    const undone = await draft();
    expect(undone.roles).not.toContain('Auditor');
    expect(undone.repos).not.toContain('Audit');
  });

  it('discard leaves the draft alone and the proposal can no longer be applied', async () => {
    const offer = await proposeAuditor();
    expect(textOf(await h.click(offer, 'Discard', 'bob'))).toMatch(/^Cancelled by bob/);
    expect(textOf(await h.click(offer, 'Apply', 'alice'))).toBe('Already cancelled by bob.');
    const apply = await h.run('/apply', 'alice');
    expect(errorCode(apply)).toBe('NO_PROPOSAL');
    expect(textOf(apply)).toContain('already discarded by bob');
    expect((await draft()).version).toBe(1);
  });

  it('in the console, /apply acts on the latest proposal, once', async () => {
    expect(errorCode(await h.run('/apply'))).toBe('NO_PROPOSAL');
    const offer = await proposeAuditor(false);
    expect(offer.buttons).toEqual([]);
    expect(textOf(offer)).toContain('/apply applies it as one change (/undo reverts it), /discard drops it.');
    const applied = await h.run('/apply', 'carol');
    expect(textOf(applied)).toMatch(/^carol applied 2 proposed commands as one change · v2/);
    expect((await h.store.history(h.channel, 1))[0]?.by).toBe('carol');
    const again = await h.run('/apply', 'dave');
    expect(textOf(again)).toContain('already applied by carol');
    expect(errorCode(await h.run('/discard'))).toBe('NO_PROPOSAL');
    expect(errorCode(await h.run('/apply now'))).toBe('USAGE');
  });

  it('/discard drops the latest proposal and /apply then refuses it', async () => {
    await proposeAuditor(false);
    expect(textOf(await h.run('/discard', 'bob'))).toMatch(/^bob discarded the proposal/);
    expect(errorCode(await h.run('/apply'))).toBe('NO_PROPOSAL');
    expect((await draft()).version).toBe(1);
  });

  it('a newer proposal replaces the older one as the target of /apply', async () => {
    await proposeAuditor(false);
    h.fake.enqueue(propose(['/add logging level="debug"'], 'More logging.'));
    await h.run('/ask more logging please');
    await h.run('/apply');
    const record = await h.store.read(h.channel);
    expect(record.document?.logging).toMatchObject({ level: 'debug' });
    expect(names(record.document?.roles)).not.toContain('Auditor');
  });

  it('a proposal with nothing valid offers nothing, and /apply cannot reach an older one', async () => {
    await proposeAuditor(false);
    h.fake.enqueue(propose([TYPO], 'Typo.'));
    const reply = await h.chat('/ask add nobody');
    expect(reply.ok).toBe(false);
    expect(textOf(reply)).toContain('none of its commands is valid');
    expect(reply.buttons).toEqual([]);
    expect(errorCode(await h.run('/apply'))).toBe('NO_PROPOSAL');
    expect((await draft()).version).toBe(1);
  });

  it('refuses a proposal that no longer fits the draft, changing nothing', async () => {
    h.fake.enqueue(
      propose(['/add stages.actions stage="Deployment" name="Canary" type="emit"'], 'Canary step.'),
    );
    const offer = await h.chat('/ask add a canary step to deployment');
    expect(offer.buttons).toHaveLength(2);
    await h.run('/remove stages name="Deployment"', 'bob');
    const before = await draft();
    const applied = await h.click(offer, 'Apply', 'alice');
    expect(applied.ok).toBe(false);
    expect(errorCode(applied)).toBe('PROPOSAL_STALE');
    expect(textOf(applied)).toContain('Nothing was changed');
    expect(await draft()).toEqual(before);
  });

  it('works on an empty channel when the proposal starts with /create', async () => {
    const empty = await createAssistantHarness({ sample: false });
    try {
      empty.fake.enqueue(propose(['/create name="Retraining"', AUDITOR], 'A new workflow with an auditor.'));
      const offer = await empty.chat('/ask start a retraining workflow with an auditor');
      expect(textOf(offer)).toContain(`/create name="Retraining"\n${AUDITOR}`);
      await empty.click(offer, 'Apply', 'bob');
      const record = await empty.store.read(empty.channel);
      expect(record.version).toBe(1);
      expect(names(record.document?.roles)).toEqual(['Auditor']);
    } finally {
      await empty.close();
    }
  });
});

describe('proposals and privileges', () => {
  it('apply with the privileges of the person who clicks or types /apply; a refusal leaves the proposal open', async () => {
    await h.close();
    h = await createAssistantHarness({
      policy: { admins: new Set(['slack:UROOT']), defaultPrivileges: ['read', 'write'] },
    });
    expect((await h.run('/add roles name="Viewer" privileges=["read"]', 'root')).ok).toBe(true);
    expect((await h.run('/grant <@UVIC> Viewer', 'root')).ok).toBe(true);
    const offer = await proposeAuditor();
    const refused = await h.click(offer, 'Apply', 'vic');
    expect(refused.ok).toBe(false);
    expect(textOf(refused)).toMatch(/\/apply needs the write privilege; you hold read here/);
    const typed = await h.run('/apply', 'vic');
    expect(errorCode(typed)).toBe('FORBIDDEN');
    expect((await draft()).roles).not.toContain('Auditor');
    const applied = await h.click(offer, 'Apply', 'bob');
    // Asked by someone without admin in a channel with grants: the new role was left out.
    expect(textOf(offer)).toContain('Changing roles, authorization or change_management');
    expect(textOf(applied)).toMatch(/^bob applied 1 proposed command as one change/);
  });
});
