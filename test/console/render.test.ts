import { describe, expect, it } from 'vitest';
import { highlightToml } from '../../src/adapters/console/highlight.js';
import { wrapLine } from '../../src/adapters/console/wrap.js';
import { SGR } from './pty.js';

const ESC = String.fromCharCode(27);
const colour = (code: number, text: string) => `${ESC}[${code}m${text}${ESC}[0m`;

const TOML = `# top
[metadata]
name = "a # not a comment"
"quoted key" = 'lit'
when = 1979-05-27T07:32:00Z
note = """
two
lines"""
inline = { host = "h", port = 5432, tags = ["x", { deep = true }] }
list = [
  1,
  2,
]

[[stages.actions]]
ok = true # done
`;

describe('TOML highlighting', () => {
  it('only adds colour: without it the text is the same', () => {
    expect(highlightToml(TOML, true).replace(SGR, '')).toBe(TOML);
    expect(highlightToml(TOML, false)).toBe(TOML);
  });

  it('tells headers, keys, strings, other values and comments apart', () => {
    const shown = highlightToml(TOML, true);
    expect(shown).toContain(colour(2, '# top'));
    expect(shown).toContain(colour(1, '[metadata]'));
    expect(shown).toContain(colour(1, '[[stages.actions]]'));
    expect(shown).toContain(`${colour(36, 'name')} = ${colour(32, '"a # not a comment"')}`);
    expect(shown).toContain(`${colour(36, '"quoted key"')} = ${colour(32, "'lit'")}`);
    expect(shown).toContain(colour(33, '1979-05-27T07:32:00Z'));
    expect(shown).toContain(
      `${colour(36, 'host')} = ${colour(32, '"h"')}, ${colour(36, 'port')} = ${colour(33, '5432')}`,
    );
    expect(shown).toContain(`{ ${colour(36, 'deep')} = ${colour(33, 'true')} }`);
    expect(shown).toContain(`${colour(33, 'true')} ${colour(2, '# done')}`);
  });

  it('colours a multi-line string line by line, so no colour runs past a line end', () => {
    const shown = highlightToml(TOML, true);
    expect(shown).toContain(`${colour(32, '"""')}\n${colour(32, 'two')}\n${colour(32, 'lines"""')}`);
    for (const line of shown.split('\n')) {
      const codes = line.match(SGR) ?? [];
      const resets = codes.filter((code) => code === `${ESC}[0m`);
      expect(codes.length, line).toBe(2 * resets.length);
    }
  });
});

describe('word wrapping', () => {
  it('breaks at spaces with a hanging indent, and keeps a word longer than the width whole', () => {
    expect(wrapLine('  • one two three four five six seven', 20, '    ')).toEqual([
      '  • one two three',
      '    four five six',
      '    seven',
    ]);
    const url = `see https://example.com/${'x'.repeat(40)} now`;
    expect(wrapLine(url, 20)).toEqual(['see', `https://example.com/${'x'.repeat(40)}`, 'now']);
    expect(wrapLine('界界界界界界界界界界界界', 20)).toEqual(['界界界界界界界界界界界界']);
    expect(wrapLine('界界界界界界 界界界界界界', 20)).toEqual(['界界界界界界', '界界界界界界']);
  });
});
