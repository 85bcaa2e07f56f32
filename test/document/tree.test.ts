/**
 * Edits copy tables with withKey and copyTable, which build the copy member by member (for V8's
 * field layout) instead of spreading: the copy must still be exactly what a prototype-less spread
 * would give, including for keys that mean something on ordinary objects.
 */
import { describe, expect, it } from 'vitest';
import { copyTable, newTable, withKey } from '../../src/document/tree.js';
import type { TomlTable } from '../../src/document/types.js';

function table(entries: Record<string, string>): TomlTable {
  const built = newTable();
  for (const [key, value] of Object.entries(entries)) built[key] = value;
  return built;
}

/** Own members as data, in order, and the prototype: what a copy must preserve. */
function shape(value: TomlTable): unknown {
  return {
    prototype: Object.getPrototypeOf(value),
    members: Reflect.ownKeys(value).map((key) => [key, Object.getOwnPropertyDescriptor(value, key)]),
  };
}

const spreadLike = (source: TomlTable): TomlTable => Object.assign(newTable(), source);

describe('table copies', () => {
  const sections = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`section${i}`, `v${i}`]));

  it('withKey replaces in place, appends a new key, removes on undefined', () => {
    const source = table({ a: '1', b: '2', c: '3' });
    expect(Object.entries(withKey(source, 'b', 'x'))).toEqual([
      ['a', '1'],
      ['b', 'x'],
      ['c', '3'],
    ]);
    expect(Object.entries(withKey(source, 'd', 'y'))).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', 'y'],
    ]);
    expect(Object.entries(withKey(source, 'a', undefined))).toEqual([
      ['b', '2'],
      ['c', '3'],
    ]);
    expect(Object.entries(source)).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  it('gives a prototype-less table of plain writable data members, like a spread', () => {
    for (const source of [table({ a: '1' }), table(sections)]) {
      const expected = spreadLike(source);
      expect(shape(copyTable(source))).toEqual(shape(expected));
      const changed = spreadLike(source);
      changed.extra = 'e';
      expect(shape(withKey(source, 'extra', 'e'))).toEqual(shape(changed));
    }
  });

  it('keeps keys such as constructor, toString and __proto__ as ordinary data', () => {
    const source = newTable();
    for (const key of ['constructor', 'toString', 'hasOwnProperty']) source[key] = key.toUpperCase();
    Object.defineProperty(source, '__proto__', {
      value: 'P',
      writable: true,
      enumerable: true,
      configurable: true,
    });
    const copy = withKey(source, '__proto__', 'Q');
    expect(Object.getPrototypeOf(copy)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toBe('Q');
    expect(copy.constructor).toBe('CONSTRUCTOR');
    expect(Object.keys(copyTable(source))).toEqual([
      'constructor',
      'toString',
      'hasOwnProperty',
      '__proto__',
    ]);
    // An absent key reads as absent, not as something inherited.
    expect(withKey(source, 'x', 'y').valueOf).toBeUndefined();
  });
});
