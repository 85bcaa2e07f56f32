/**
 * Edits copy tables with withKey: the copy is a prototype-less table of the same members, so keys
 * that mean something on ordinary objects stay plain data.
 */
import { describe, expect, it } from 'vitest';
import { newTable, withKey } from '../../src/document/tree.js';
import type { TomlTable } from '../../src/document/types.js';

function table(entries: Record<string, string>): TomlTable {
  const built = newTable();
  for (const [key, value] of Object.entries(entries)) built[key] = value;
  return built;
}

describe('table copies', () => {
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
    expect(Object.keys(withKey(source, 'x', undefined))).toEqual([
      'constructor',
      'toString',
      'hasOwnProperty',
      '__proto__',
    ]);
    // An absent key reads as absent, not as something inherited.
    expect(withKey(source, 'x', 'y').valueOf).toBeUndefined();
  });
});
