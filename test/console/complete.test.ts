import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { complete, completeLine } from '../../src/adapters/console/complete.js';
import { PasteSplitter } from '../../src/adapters/console/terminal-input.js';

const names = ['add', 'create', 'help', 'remove', 'show', 'load', 'save'];

describe('console tab completion', () => {
  it('completes command names', () => {
    expect(completeLine('/cr', names)).toEqual([['/create'], '/cr']);
    expect(completeLine('a', names)).toEqual([['/add'], 'a']);
  });

  it('completes section names after commands that take one', () => {
    const [hits, word] = completeLine('/add ro', names);
    expect(word).toBe('ro');
    expect(hits).toContain('roles');
    expect(completeLine('/add stages', names)[0]).toEqual(['stages', 'stages.actions']);
    expect(completeLine('/create na', names)).toEqual([[], 'na']);
  });

  it('completes the fields of the section, leaving out those already given and values', () => {
    expect(completeLine('/add roles ', names)[0]).toEqual(['name=', 'privileges=', 'description=']);
    expect(completeLine('/add roles name="A" p', names)).toEqual([['privileges='], 'p']);
    expect(completeLine('/add roles name="A" ', names)[0]).not.toContain('name=');
    expect(completeLine('/add roles name="A', names)[0]).toEqual([]);
    expect(completeLine('/add stages.actions st', names)[0]).toEqual(['stage=']);
    expect(completeLine('/remove roles ', names)[0]).toEqual(['name=']);
    expect(completeLine('/remove logging le', names)[0]).toEqual(['level']);
  });

  it('completes commands, sections and "sections" after /help', () => {
    expect(completeLine('/help s', names)[0]).toEqual([
      'show',
      'save',
      'stages',
      'stages.actions',
      'sections',
    ]);
  });

  it('completes folders and .toml files inside the root after /load and /save', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aitws-complete-'));
    try {
      await mkdir(path.join(root, 'flows'));
      await writeFile(path.join(root, 'flows', 'a.toml'), '');
      await writeFile(path.join(root, 'flows', 'notes.txt'), '');
      await writeFile(path.join(root, '.hidden.toml'), '');
      expect((await complete('/load ', names, root))[0]).toEqual(['flows/', 'name=']);
      expect(await complete('/save flows/', names, root)).toEqual([['flows/a.toml'], 'flows/']);
      expect((await complete('/load .', names, root))[0]).toEqual(['.hidden.toml']);
      expect((await complete('/load ../', names, root))[0]).toEqual([]);
      expect((await complete('/load name=', names, root))[0]).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('bracketed paste markers', () => {
  it('finds a paste whose markers are split across reads, and passes other keys through', () => {
    const splitter = new PasteSplitter();
    const parts = ['ab\u001b[2', '00~x\ny\u001b', '[201', '~c\u001b[A'].flatMap((chunk) =>
      splitter.feed(chunk),
    );
    expect(parts).toEqual([
      { kind: 'keys', text: 'ab' },
      { kind: 'paste', text: 'x\ny' },
      { kind: 'keys', text: 'c\u001b[A' },
    ]);
  });
});
