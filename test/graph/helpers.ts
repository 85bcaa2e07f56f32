/** Shared by the graph tests: the sample, small documents, and reading an SVG element. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from '../../src/document/toml.js';
import type { AitwsDocument } from '../../src/document/types.js';

export const SAMPLE_PATH = path.resolve(import.meta.dirname, '../fixtures/ai.toml');

export function sample(): AitwsDocument {
  return parseDocument(readFileSync(SAMPLE_PATH, 'utf8'));
}

export function toml(text: string): AitwsDocument {
  return parseDocument(text);
}

/** The `<g …>…</g>` of the element with this id (plain text, as renderGraph writes ids). */
export function svgGroup(svg: string, id: string): string | undefined {
  const start = svg.indexOf(`id="${id}"`);
  if (start < 0) return undefined;
  const open = svg.lastIndexOf('<g', start);
  const close = svg.indexOf('</g>', start);
  return svg.slice(open, close + 4);
}

export const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
