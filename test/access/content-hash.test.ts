import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/access/content-hash.js';
import { parseDocument } from '../../src/document/toml.js';

const hash = (text: string): string => contentHash(parseDocument(text));

describe('contentHash', () => {
  it('is the same for the same content, whatever the order of keys and tables', () => {
    const a = hash('[metadata]\nname = "X"\nversion = "1"\n[logging]\nlevel = "info"\n');
    const b = hash('[logging]\nlevel = "info"\n[metadata]\nversion = "1"\nname = "X"\n');
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b).toBe(a);
  });

  it('differs when anything differs: a value, list order, a date against the same text, inf against nan', () => {
    const base = '[metadata]\nname = "X"\n';
    const hashes = [
      hash(base),
      hash('[metadata]\nname = "Y"\n'),
      hash(`${base}[x]\nlist = ["a", "b"]\n`),
      hash(`${base}[x]\nlist = ["b", "a"]\n`),
      hash(`${base}[x]\nwhen = 2026-12-06\n`),
      hash(`${base}[x]\nwhen = "2026-12-06"\n`),
      hash(`${base}[x]\nv = inf\n`),
      hash(`${base}[x]\nv = nan\n`),
      hash(`${base}[x]\nv = 1\n`),
      hash(`${base}[x]\nv = "1"\n`),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(contentHash(null)).not.toBe(hashes[0]);
  });
});
