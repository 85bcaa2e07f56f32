/**
 * How the picture looks: colours per state (text colour chosen for contrast, at least 4.5:1), shapes
 * per kind, and escaping user text for a quoted DOT string.
 */
import { maskSecrets } from '../document/redact.js';
import type { EdgeKind, NodeKind, NodeState } from './model-types.js';

export const FONT = 'DejaVu Sans';

export interface Paint {
  readonly fill: string;
  readonly font: string;
  readonly border: string;
}

export const STATE_PAINT: Readonly<Record<NodeState, Paint>> = {
  done: { fill: '#2E7D32', font: '#FFFFFF', border: '#1B5E20' },
  running: { fill: '#1565C0', font: '#FFFFFF', border: '#0D47A1' },
  waiting: { fill: '#FFC107', font: '#000000', border: '#FF8F00' },
  failed: { fill: '#C62828', font: '#FFFFFF', border: '#8E0000' },
  skipped: { fill: '#BDBDBD', font: '#000000', border: '#616161' },
  pending: { fill: '#FFFFFF', font: '#37474F', border: '#90A4AE' },
};

export const STATE_LABEL: Readonly<Record<NodeState, string>> = {
  done: 'done',
  running: 'running',
  waiting: 'waiting',
  failed: 'failed',
  skipped: 'skipped',
  pending: 'not reached',
};

/** Nodes without a state (no run given). */
export const NEUTRAL: Paint = { fill: '#E3F2FD', font: '#0D1B2A', border: '#1E88E5' };
export const PROBLEM: Paint = { fill: '#FFEBEE', font: '#B71C1C', border: '#D32F2F' };

export const SHAPE: Readonly<Record<NodeKind, string>> = {
  start: 'circle',
  end: 'doublecircle',
  action: 'box',
  approval: 'hexagon',
  ai: 'component',
  stage: 'box3d',
  empty: 'plaintext',
  join: 'point',
  branch: 'diamond',
  group: 'box3d',
  event: 'cds',
  schedule: 'cds',
  handler: 'note',
  missing: 'box',
  problems: 'note',
};

export const EDGE_STYLE: Readonly<Record<EdgeKind, string>> = {
  next: 'color="#455A64"',
  true: 'color="#2E7D32" fontcolor="#1B5E20" penwidth=1.5',
  false: 'color="#C62828" fontcolor="#8E0000" penwidth=1.5',
  before: 'color="#455A64" style=dotted',
  trigger: 'color="#6A1B9A" fontcolor="#4A148C"',
  runs: 'color="#6A1B9A" fontcolor="#4A148C" style=dashed',
  on_error: 'color="#E65100" fontcolor="#BF360C" style=dotted',
  task: 'color="#78909C" style=dashed arrowhead=none',
  missing: 'color="#D32F2F" fontcolor="#B71C1C" style=dashed penwidth=1.5',
};

/** The longest a label line gets; longer user text is cut with an ellipsis. */
export const MAX_LINE = 60;

/**
 * One line of user text, safe inside a DOT quoted string (no escape of it is live), secrets
 * masked first: a picture is bytes, and nothing can mask it after it is drawn.
 */
export function escapeLine(text: string, max = MAX_LINE): string {
  // Control characters (newlines among them) would start a new line or worse: a space instead.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is being removed
  const flat = maskSecrets(text).replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, ' ');
  const chars = [...flat];
  const cut = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
  return cut.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** A quoted DOT string of label lines (centred; `left` for left-justified lines). */
export function quoteLines(lines: readonly string[], left = false, max = MAX_LINE): string {
  const separator = left ? '\\l' : '\\n';
  const body = lines.map((line) => escapeLine(line, max)).join(separator);
  return `"${body}${left && lines.length > 0 ? '\\l' : ''}"`;
}

/** A quoted DOT string of a value we made (ids, colours): still escaped, never trusted. */
export function quote(text: string): string {
  return `"${escapeLine(text, Number.POSITIVE_INFINITY)}"`;
}
