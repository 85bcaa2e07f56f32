/**
 * TOML syntax highlighting on the server, line by line, with a few token classes: comments, table
 * headers, keys, strings, numbers and booleans. It only colours what stringifyDocument writes (one
 * key = value per line, tables as [name] and [[name]]); anything it does not recognise is shown as
 * plain text. Every piece is escaped.
 */
import { type Html, html, join, type Part } from './html.js';

const TOKENS: readonly (readonly [string, RegExp])[] = [
  ['comment', /^#.*/],
  ['string', /^"""[\s\S]*?"""|^'''[\s\S]*?'''|^"(?:[^"\\]|\\.)*"|^'[^']*'/],
  ['bool', /^(?:true|false)\b/],
  ['number', /^[+-]?(?:0x[0-9A-Fa-f_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?|inf|nan)\b/],
];

function span(kind: string, text: string): Html {
  return html`<span class="tok-${kind}">${text}</span>`;
}

/** A value (after `=`), or anything else on a line: strings, numbers, booleans coloured. */
function value(text: string): Html {
  const parts: Part[] = [];
  let rest = text;
  let plain = '';
  while (rest !== '') {
    const token = TOKENS.map(([kind, pattern]) => [kind, pattern.exec(rest)?.[0]] as const).find(
      ([, match]) => match !== undefined && match !== '',
    );
    if (token?.[1] === undefined) {
      plain += rest[0];
      rest = rest.slice(1);
      continue;
    }
    parts.push(plain, span(token[0], token[1]));
    plain = '';
    rest = rest.slice(token[1].length);
  }
  parts.push(plain);
  return join(parts);
}

function line(text: string): Html {
  const trimmed = text.trimStart();
  const indent = text.slice(0, text.length - trimmed.length);
  if (trimmed.startsWith('#')) return html`${indent}${span('comment', trimmed)}`;
  if (/^\[\[?[^\]]*\]\]?\s*$/.test(trimmed)) return html`${indent}${span('table', trimmed)}`;
  const key = /^([A-Za-z0-9_.-]+|"(?:[^"\\]|\\.)*"|'[^']*')(\s*=\s*)/.exec(trimmed);
  if (key === null) return html`${indent}${value(trimmed)}`;
  const [whole, name = '', equals = ''] = key;
  return html`${indent}${span('key', name)}${equals}${value(trimmed.slice(whole.length))}`;
}

export function highlightToml(text: string): Html {
  return join(text.split('\n').map((each, index) => (index === 0 ? line(each) : html`\n${line(each)}`)));
}
