/**
 * A value never changes silently: an integer too large for a JavaScript number, and a date that
 * does not exist (which smol-toml would roll over to the next month), are refused from chat and
 * from files alike, and the draft stays as it was.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/document/index.js';
import { TomlSyntaxError } from '../../src/errors.js';
import type { Harness } from '../support/harness.js';

const stores = useStores();

import { STORE_KINDS, useStores } from './stores.js';

describe.each(STORE_KINDS)('values that would change silently (%s store)', (kind) => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await stores.harnessOn(kind);
    expect((await harness.run('/create name="Values"')).ok).toBe(true);
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  it.each([
    ['/add x_limits v=9223372036854775807', /too large for an integer/],
    ['/add x_limits v=-9223372036854775808', /too large for an integer/],
    ['/add x_dates due=2024-02-30', /2024-02-30 is not a date \(the month has 29 days\)/],
    ['/add x_dates due=2023-02-29', /the month has 28 days/],
    ['/add x_dates due=2024-13-01', /2024-13-01 is not a date or time \(there is no month 13\)/],
    ['/add x_times at=25:61:00', /25:61:00 is not a date or time/],
    ['/add x_dates due=2024-04-31T10:00:00Z', /the month has 30 days/],
    ['/add x_dates due=[2024-01-01, 2024-06-31]', /2024-06-31 is not a date/],
    ['/add x_dates due={ at = 2025-02-29 }', /2025-02-29 is not a date/],
  ])('refuses %s and changes nothing', async (command, reason) => {
    const before = await harness.snapshot();
    expect(Object.keys(before)).not.toEqual([]);
    const reply = await harness.run(command);
    expect(reply.ok).toBe(false);
    expect(JSON.stringify(reply.blocks)).toMatch(reason);
    expect(await harness.snapshot()).toEqual(before);
  });

  it('keeps real dates and the largest exact integer', async () => {
    const reply = await harness.run('/add x_ok leap=2024-02-29 big=9007199254740991 text="2024-02-30"');
    expect(reply.ok).toBe(true);
    const show = await harness.run('/show x_ok');
    expect(JSON.stringify(show.blocks)).toContain('leap = 2024-02-29');
    expect(JSON.stringify(show.blocks)).toContain('big = 9007199254740991');
  });

  it('refuses a file with a date that does not exist, naming where', () => {
    const text = '[metadata]\nname = "N"\n\n[x_dates]\ndue = 2024-02-30\n';
    let error: unknown;
    try {
      parseDocument(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TomlSyntaxError);
    expect((error as TomlSyntaxError).message).toBe(
      'Invalid TOML at line 5, column 7: 2024-02-30 is not a date (the month has 29 days).',
    );
    expect(parseDocument('[x]\nnote = "due = 2024-02-30"\n')).toEqual({ x: { note: 'due = 2024-02-30' } });
  });
});
