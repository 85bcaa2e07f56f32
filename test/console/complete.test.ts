import { describe, expect, it } from 'vitest';
import { completeLine } from '../../src/adapters/console/complete.js';

const names = ['add', 'create', 'help', 'remove', 'show'];

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
});
