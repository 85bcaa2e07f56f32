/**
 * The core's answers for a paste form: `checkDocument` says what /load would refuse without
 * loading anything, and a bare /load from an adapter that can open the form asks it to.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Invocation } from '../../src/commands/types.js';
import { createHarness, type Harness, textOf } from '../support/harness.js';

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});

afterEach(async () => {
  await h.cleanup();
});

function load(text: string, extra: Partial<Invocation> = {}) {
  return h.dispatcher.handle({ text, actor: { id: 'alice', name: 'alice' }, channel: h.channel, ...extra });
}

describe('checkDocument', () => {
  it('passes a document /load would take', () => {
    expect(h.dispatcher.checkDocument('[metadata]\nname = "Pasted"\nversion = "1.0.0"\n')).toBeUndefined();
  });

  it('asks for a document when the text is blank', () => {
    expect(h.dispatcher.checkDocument('  \n')).toBe('Paste an aiTWS TOML document.');
  });

  it('says where TOML that does not parse goes wrong', () => {
    expect(h.dispatcher.checkDocument('[metadata\nname = "x"')).toMatch(
      /^Not valid TOML \(line 1, column \d+\)/,
    );
  });

  it('lists validation errors in one line', () => {
    const problem = h.dispatcher.checkDocument('[communication]\nport = 70000\n');
    expect(problem).toMatch(/^1 error; nothing was loaded\. communication\.port/);
    expect(problem).not.toMatch(/\n/);
  });

  it('changes nothing', async () => {
    const before = await h.snapshot();
    h.dispatcher.checkDocument('[metadata]\nname = "Pasted"\n');
    expect(await h.snapshot()).toEqual(before);
  });
});

describe('a bare /load', () => {
  it('asks an adapter that can open the paste form to open it, changing nothing', async () => {
    const before = await h.snapshot();
    const reply = await load('/load', { supportsDocumentForm: true });
    expect(reply).toMatchObject({ ok: true, visibility: 'ephemeral', form: 'document' });
    expect(textOf(reply)).toMatch(/form/);
    expect(await h.snapshot()).toEqual(before);
  });

  it('asks for a source everywhere else (the console, Discord, a Slack mention)', async () => {
    const reply = await load('/load');
    expect(reply.ok).toBe(false);
    expect(reply.form).toBeUndefined();
    expect(textOf(reply)).toMatch(/Say what to load/);
  });

  it('is not a form request once a source is named', async () => {
    const reply = await load('/load name="nothing-saved"', { supportsDocumentForm: true });
    expect(reply.form).toBeUndefined();
    expect(textOf(reply)).toMatch(/Nothing is saved under the name "nothing-saved"/);
  });

  it('loads a document handed over with the command instead of asking for one', async () => {
    const content = { filename: 'the pasted TOML', text: '[metadata]\nname = "Pasted"\n' };
    const reply = await load('/load', { supportsDocumentForm: true, content });
    expect(reply.form).toBeUndefined();
    expect(textOf(reply)).toMatch(/Loaded the pasted TOML/);
  });
});
