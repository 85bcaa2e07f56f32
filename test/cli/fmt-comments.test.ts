/**
 * Where `aitws fmt` puts each comment (src/document/toml-format*.ts): the rules for what a comment
 * belongs to, shown on small files, each formatted twice to prove the second pass changes nothing
 * and that the attachment survives it.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringifyDocument } from '../../src/document/toml.js';
import { formatDocumentText } from '../../src/document/toml-format.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { SAMPLE_TOML } from '../support/paths.js';

function format(text: string): string {
  const once = formatDocumentText(text, DEFAULT_LIMITS);
  expect(formatDocumentText(once, DEFAULT_LIMITS), 'formatting twice').toBe(once);
  return once;
}

const lines = (...all: string[]): string => `${all.join('\n')}\n`;

describe('a file without comments', () => {
  it('formats exactly as /save writes it', async () => {
    const sample = (await readFile(SAMPLE_TOML, 'utf8')).replace(/^#.*\n|\s+#.*$/gm, '');
    expect(sample).not.toContain('#');
    expect(format(sample)).toBe(stringifyDocument(parseDocument(sample)));
  });
});

describe('what a comment belongs to', () => {
  it('a gap without a blank line leads what follows; so does a block after a blank line', () => {
    const text = lines(
      '[metadata]',
      'version = "1"',
      '# the name',
      'name = "x"',
      '',
      '# who runs it',
      'owner = "ops"',
    );
    // Unknown fields follow the registry's (name, version).
    expect(format(text)).toBe(
      lines('[metadata]', '# the name', 'name = "x"', 'version = "1"', '', '# who runs it', 'owner = "ops"'),
    );
  });

  it('comments right under a key, then a blank line, stay under that key wherever it goes', () => {
    const text = lines('[communication]', 'port = 443', '# cipher = "AES128"', '', 'protocol = "TLS"');
    expect(format(text)).toBe(
      lines('[communication]', 'protocol = "TLS"', 'port = 443', '# cipher = "AES128"'),
    );
  });

  it('keeps the blank line that separates such comments from the next key', () => {
    const text = lines('[communication]', 'protocol = "TLS"', '# not QUIC yet', '', 'port = 443');
    expect(format(text)).toBe(text);
  });

  it('a block above a section keeps its inner blank line and moves with the section', () => {
    const text = lines(
      '[communication]',
      'port = 443',
      '',
      '# ===== About =====',
      '',
      '# name and version',
      '[metadata]',
      'name = "x"',
    );
    expect(format(text)).toBe(
      lines(
        '# ===== About =====',
        '',
        '# name and version',
        '[metadata]',
        'name = "x"',
        '',
        '[communication]',
        'port = 443',
      ),
    );
  });

  it('the file preamble stays first, above the blank line; the lead of the first section moves', () => {
    const text = lines(
      '# My workflow',
      '',
      '# talk',
      '[communication]',
      'port = 1',
      '',
      '[metadata]',
      'name = "x"',
    );
    expect(format(text)).toBe(
      lines('# My workflow', '', '[metadata]', 'name = "x"', '', '# talk', '[communication]', 'port = 1'),
    );
  });

  it('comments below the last blank line of the file stay last', () => {
    const text = lines('[communication]', 'port = 1', '', '# the end', '', '[metadata]', 'name = "x"');
    // "# the end" leads [metadata] here: a section follows it.
    expect(format(text)).toBe(
      lines('# the end', '[metadata]', 'name = "x"', '', '[communication]', 'port = 1'),
    );
    const trailing = lines('[metadata]', 'name = "x"', '', '# the end');
    expect(format(trailing)).toBe(trailing);
  });

  it('a comment on a header line stays on it', () => {
    const text = lines('[metadata] # who we are', 'name = "x"');
    expect(format(text)).toBe(text);
  });
});

describe('what the canonical writer spells differently', () => {
  it('a header it leaves out hands its comments to the first table inside it', () => {
    const text = lines('# extras', '[extra]', '[extra.deep] # deep', 'value = 1');
    expect(format(text)).toBe(lines('# extras', '[extra.deep] # deep', 'value = 1'));
  });

  it('a dotted key written as a table keeps its end-of-line comment', () => {
    const text = lines('[extra]', 'a.b = 2 # dotted');
    expect(format(text)).toBe(lines('[extra.a]', 'b = 2 # dotted'));
  });

  it('comments inside an inline table it writes as a table go above that table', () => {
    const text = lines('[metadata]', 'name = "x"', '', '[extra]', 'inline = { # open', '  x = 1, # one', '}');
    expect(format(text)).toBe(
      lines('[metadata]', 'name = "x"', '', '# open', '# one', '[extra.inline]', 'x = 1'),
    );
  });

  it('CRLF line ends become LF, comments and all', () => {
    expect(format('[metadata]\r\n# the name\r\nname = "x" # x\r\n')).toBe(
      lines('[metadata]', '# the name', 'name = "x" # x'),
    );
  });
});

describe('refusals', () => {
  it('names a file whose canonical form would be over the document limit', () => {
    // 23 bytes as written, 27 once spaced out.
    const limits = { ...DEFAULT_LIMITS, documentBytes: 24 };
    expect(() => formatDocumentText('[metadata]\nb="1"\na="2"\n', limits)).toThrow(
      /^Formatted, the file would be over a limit: /,
    );
  });
});
