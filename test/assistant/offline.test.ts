import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { searchReference } from '../../src/assistant/offline.js';
import { buildReference } from '../../src/assistant/reference.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { jsonLines, runCli } from '../support/cli.js';
import { textOf } from '../support/harness.js';
import { type AssistantHarness, createAssistantHarness, errorCode } from './harness.js';

let h: AssistantHarness;

beforeEach(async () => {
  h = await createAssistantHarness({ online: false });
});

afterEach(async () => {
  await h.close();
});

describe('/ask without ANTHROPIC_API_KEY', () => {
  it('says plainly that the assistant is offline and answers from the reference by keyword', async () => {
    const reply = await h.chat('/ask how do I give a role read privileges?');
    expect(reply.ok).toBe(true);
    const text = textOf(reply);
    expect(text).toMatch(/^The assistant is offline \(no ANTHROPIC_API_KEY is configured\)/);
    expect(text).toContain('roles (list, entries keyed by name)');
    expect(text).toContain('/add roles name="DataScientist" privileges=["read", "execute"]');
    expect(h.fake.requests).toEqual([]);
  });

  it('finds commands and nested sections too, and says when nothing matches', async () => {
    expect(textOf(await h.run('/ask how can I revert my last change with undo?'))).toContain('/undo');
    expect(textOf(await h.run("/ask what's a stage action's timeout?"))).toContain(
      'stages.actions (nested list',
    );
    expect(textOf(await h.run('/ask zzqx blorp'))).toContain('Nothing in the reference matches those words.');
  });

  it('still refuses an empty or overlong question', async () => {
    expect(errorCode(await h.run('/ask'))).toBe('USAGE');
    const long = await h.run(`/ask ${'x'.repeat(4001)}`);
    expect(errorCode(long)).toBe('LIMIT');
    expect(textOf(long)).toContain('Question too long: 4,001 characters (the limit is 4,000).');
  });

  it('offers no "ask the assistant" on a failed command', async () => {
    const reply = await h.chat('/add communication port=70000');
    expect(reply.ok).toBe(false);
    expect(reply.buttons).toEqual([]);
    expect(textOf(reply)).not.toContain('/ask');
  });
});

describe('offline search', () => {
  const reference = buildReference(COMMANDS);
  const titles = (question: string) => searchReference(reference, question).map((entry) => entry.title);

  it('ranks the entry named by the question first', () => {
    expect(titles('logging')[0]).toBe('logging');
    expect(titles('what does /diff do')[0]).toBe('/diff');
    expect(titles('the a of')).toEqual([]);
  });

  it('answers a field named in full, or beside its section, or by a name only one section has, with that field', () => {
    expect(titles('what does change_management.review_required do?')).toEqual([
      'change_management.review_required',
    ]);
    expect(titles('what does review_required do?')).toEqual(['change_management.review_required']);
    expect(titles('logging level')[0]).toBe('logging.level');
    expect(titles("what's a stage action's timeout?")[0]).toBe('stages.actions.timeout');
    // The named field's entry stands for its section, which is not listed again.
    expect(titles('logging level')).not.toContain('logging');
  });

  it('never offers /ask itself unless the question names it', () => {
    for (const question of [
      'what does change_management.review_required do?',
      'add a read-only auditor role and a repo it can see',
      'why is my draft showing a warning about access_role?',
      'how do I apply a proposal to the draft',
    ])
      expect(titles(question), question).not.toContain('/ask');
    expect(titles('what does /ask do')[0]).toBe('/ask');
  });
});

describe('the console', () => {
  it("answers the README's example with that field's reference and no usage text", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-ask-cli-'));
    try {
      const result = await runCli(['console', '--data-dir', path.join(dir, 'data')], {
        cwd: dir,
        input: '/ask what does change_management.review_required do?\n/ask what does review_required do?\n',
      });
      expect(result.code).toBe(0);
      const answer = [
        'The assistant is offline (no ANTHROPIC_API_KEY is configured), so this answer is a keyword search of the built-in reference.',
        'change_management.review_required (boolean): Whether /run needs approvals first',
        'In change_management (table, one per document): Review before a version may run.',
        'Example: /add change_management review_required=true approval_roles=["Administrator"]',
      ];
      expect(result.stdout.trim().split('\n')).toEqual([...answer, ...answer]);
      expect(result.stdout).not.toContain('Usage:');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers /ask offline end to end, with free text', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-ask-cli-'));
    try {
      const result = await runCli(['console', '--json', '--data-dir', path.join(dir, 'data')], {
        cwd: dir,
        input: `/ask what's the "logging" section for?\n`,
      });
      expect(result.code).toBe(0);
      const [line] = jsonLines(result.stdout);
      expect(line?.ok).toBe(true);
      expect(String(line?.text)).toContain('The assistant is offline');
      expect(String(line?.text)).toContain('logging (table, one per document)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
