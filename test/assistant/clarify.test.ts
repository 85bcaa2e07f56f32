import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answer } from '../support/fake-anthropic.js';
import { textOf } from '../support/harness.js';
import { type AssistantHarness, createAssistantHarness } from './harness.js';

let h: AssistantHarness;

beforeEach(async () => {
  h = await createAssistantHarness();
});

afterEach(async () => {
  await h.close();
});

const BAD = '/add communication port=70000';

describe('a command that fails validation', () => {
  it('offers a button in chat that asks the assistant, with the command and the error as context', async () => {
    const failed = await h.chat(BAD);
    expect(failed.ok).toBe(false);
    expect(failed.buttons.map((b) => b.label)).toEqual(['Ask the assistant']);
    expect(h.fake.requests).toEqual([]);

    h.fake.enqueue(answer('Ports run from 1 to 65535; try port=443.'));
    const explained = await h.click(failed, 'Ask the assistant', 'bob');
    expect(explained.ok).toBe(true);
    expect(textOf(explained)).toBe('Ports run from 1 to 65535; try port=443.');
    const question = String(h.fake.requests[0]?.body?.messages[0]?.content).split('<question>\n')[1] ?? '';
    expect(question).toContain(`Command: ${BAD}`);
    expect(question).toContain(
      'Error: communication.port: 70000 is out of range (expected an integer from 1 to 65535)',
    );
    expect(textOf(await h.click(failed, 'Ask the assistant', 'carol'))).toBe('Already done by bob.');
  });

  it('adds a hint line in the console', async () => {
    const failed = await h.run(BAD);
    expect(failed.buttons).toEqual([]);
    expect(textOf(failed)).toContain(
      `Not sure why? /ask Why does this command fail, and how do I fix it? Command: ${BAD} Error: communication.port: 70000`,
    );
  });

  it('covers typos and syntax errors, but not the assistant’s own failures or outages', async () => {
    expect((await h.chat('/add rols name="X"')).buttons).toHaveLength(1);
    expect((await h.chat('/add roles name="X" privileges=["a"')).buttons).toHaveLength(1);
    expect((await h.chat('/ask')).buttons).toEqual([]);
    expect((await h.chat('/apply')).buttons).toEqual([]);
    expect((await h.chat('/diff 999')).buttons).toEqual([]);
  });

  it('masks a credential in the failing command before it is stored, shown or sent', async () => {
    const command = '/add communication port=70000 note="postgres://etl:s3cret-pw@db/app"';
    const hinted = await h.run(command);
    expect(textOf(hinted)).toContain(
      'Command: /add communication port=70000 note="postgres://etl:****@db/app"',
    );
    expect(textOf(hinted)).not.toContain('s3cret-pw');
    await h.click(await h.chat(command), 'Ask the assistant', 'bob');
    expect(h.fake.requests).toHaveLength(1);
    expect(h.fake.requests[0]?.raw).toContain('postgres://etl:****@db/app');
    expect(h.fake.requests[0]?.raw).not.toContain('s3cret-pw');
  });
});
