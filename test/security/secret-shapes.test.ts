/**
 * Secret shapes × the places a value surfaces. Each shape is a realistic value with the secret
 * part named; no place may show that part: the masker itself, the reply to /add, a warning and an
 * error quoting it, `/show`, `/diff`, `/history`, `/validate`, a /submit note, the audit trail and a
 * log line, on both stores (the
 * front doors and the model: secret-places.test.ts).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderForConsole } from '../../src/adapters/console/render.js';
import { maskSecrets } from '../../src/document/redact.js';
import { createLogger } from '../../src/logging.js';
import type { Harness } from '../support/harness.js';
import { SHAPES } from './shapes.js';
import { STORE_KINDS, useStores } from './stores.js';

const stores = useStores();

describe('secret shapes', () => {
  it('has at least 40 of them', () => {
    expect(SHAPES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(SHAPES)('masks a %s in free text', (_, value, secret) => {
    expect(maskSecrets(`see ${value} for details`)).not.toContain(secret);
  });

  describe.each(STORE_KINDS)('in a draft (%s store)', (kind) => {
    let harness: Harness;

    beforeAll(async () => {
      harness = await stores.harnessOn(kind);
      expect((await harness.run('/create name="Shapes"')).ok).toBe(true);
    });
    afterAll(async () => {
      await harness.cleanup();
    });

    it.each(SHAPES)(
      'never shows a %s in a reply, a warning, an error, /show, /diff, /history, /validate, a review note or the audit trail',
      async (_, value, secret) => {
        const field = `f${Math.abs(hash(value))}`;
        const quoted = JSON.stringify(value);
        const screens: string[] = [];
        const run = async (command: string, ok: boolean) => {
          const reply = await harness.run(command);
          expect(reply.ok, command).toBe(ok);
          screens.push(renderForConsole(reply, false), JSON.stringify(reply));
          return reply;
        };
        await run(`/add x_shapes ${field}=${quoted}`, true);
        const warned = await run(`/add communication protocol=${quoted}`, true);
        expect(warned.warnings.join('\n')).toMatch(/is not a supported value/);
        await run(`/add monitors name="M" interval=${quoted}`, false);
        await run('/show', true);
        await run('/diff', true);
        await run('/history limit=2', true);
        await run('/validate', true);
        await run(`/submit ${value}`, true);
        await run('/audit 10', true);
        for (const screen of screens) expect(screen).not.toContain(secret);
        for (const { change } of await harness.store.history(harness.channel, 2))
          expect(change).not.toContain(secret);
        const trail = await harness.access.recentAudit(harness.channel, 10);
        expect(trail.map((entry) => entry.kind)).toContain('submit');
        for (const entry of trail) expect(JSON.stringify(entry)).not.toContain(secret);
      },
    );
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
