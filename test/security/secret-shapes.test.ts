/**
 * Secret shapes × the places a value surfaces. Each shape is a realistic value with the secret
 * part named; no place may show that part: the masker itself, `/show`, `/history`, a reply's
 * warnings, and a log line.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderForConsole } from '../../src/adapters/console/render.js';
import { maskSecrets } from '../../src/document/redact.js';
import { createLogger } from '../../src/logging.js';
import { createHarness, type Harness } from '../support/harness.js';
import { SHAPES } from './shapes.js';

describe('secret shapes', () => {
  it('has at least 40 of them', () => {
    expect(SHAPES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(SHAPES)('masks a %s in free text', (_, value, secret) => {
    expect(maskSecrets(`see ${value} for details`)).not.toContain(secret);
  });

  describe('in a draft', () => {
    let harness: Harness;

    beforeAll(async () => {
      harness = await createHarness();
      expect((await harness.run('/create name="Shapes"')).ok).toBe(true);
    });
    afterAll(async () => {
      await harness.cleanup();
    });

    it.each(SHAPES)('never shows a %s in /add, /show or /history', async (_, value, secret) => {
      const field = `f${Math.abs(hash(value))}`;
      const added = await harness.run(`/add x_shapes ${field}=${JSON.stringify(value)}`);
      expect(added.ok).toBe(true);
      expect(renderForConsole(added, false)).not.toContain(secret);
      expect(renderForConsole(await harness.run('/show x_shapes'), false)).not.toContain(secret);
      expect(renderForConsole(await harness.run('/history limit=1'), false)).not.toContain(secret);
      const [latest] = await harness.store.history(harness.channel, 1);
      expect(latest?.change).not.toContain(secret);
    });
  });

  it.each(SHAPES)('never writes a %s to a log line', (_, value, secret) => {
    let written = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.toString();
        callback();
      },
    });
    createLogger({ level: 'trace', destination }).info({ value, nested: { text: value } }, `saw ${value}`);
    expect(written).not.toBe('');
    expect(written).not.toContain(secret);
  });
});

function hash(text: string): number {
  let value = 0;
  for (const char of text) value = (value * 31 + (char.codePointAt(0) ?? 0)) | 0;
  return value;
}
