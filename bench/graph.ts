/**
 * Issue #19 benchmark: drawing a workflow (renderGraph: model, DOT, Graphviz layout, and for PNG
 * resvg with the shipped fonts), for the sample and for a generated 1,000-action workflow (drawn
 * collapsed, one node per stage), median of ROUNDS after a warm-up (the first call loads the
 * Graphviz WebAssembly: timed apart). The floor is the libraries alone on the same DOT (layout,
 * and rasterising for PNG), so the ratio is what our model and escaping add. Target: 1,000
 * actions under 2 s.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { parseDocument } from '../src/document/toml.js';
import type { AitwsDocument } from '../src/document/types.js';
import { graphDot, renderGraph } from '../src/graph/index.js';
import { dotToSvg, svgToPng } from '../src/graph/render.js';
import { thousandActions } from '../test/graph/workflows.js';
import { fmt, median } from './lib.js';

const SAMPLE_TOML = path.resolve(
  import.meta.dirname,
  import.meta.dirname.endsWith(path.join('dist', 'bench')) ? '../..' : '..',
  'test/fixtures/ai.toml',
);
const ROUNDS = 9;
const TARGET_MS = 2000;

async function timed(operation: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  await operation();
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await operation();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function row(label: string, document: AitwsDocument, format: 'svg' | 'png'): Promise<number> {
  const { dot } = graphDot(document);
  const ours = await timed(() => renderGraph(document, format));
  const floor = await timed(async () => {
    const svg = await dotToSvg(dot);
    return format === 'png' ? svgToPng(svg) : svg;
  });
  const picture = await renderGraph(document, format);
  console.log(
    `  ${label.padEnd(28)} ${fmt(ours).padStart(8)} ms  floor ${fmt(floor)} ms  ratio ${fmt(ours / floor, 2)}x  (${picture.width}×${picture.height}${picture.collapsed ? ', collapsed' : ''})`,
  );
  return ours;
}

export async function benchGraph(): Promise<void> {
  const started = performance.now();
  await Graphviz.load();
  console.log(
    `graph: renderGraph, median ms of ${ROUNDS} (first Graphviz load ${fmt(performance.now() - started)} ms)`,
  );
  const sample = parseDocument(readFileSync(SAMPLE_TOML, 'utf8'));
  const big = thousandActions();
  await row('sample, SVG', sample, 'svg');
  await row('sample, PNG', sample, 'png');
  const svg = await row('1,000 actions, SVG', big, 'svg');
  const png = await row('1,000 actions, PNG', big, 'png');
  const worst = Math.max(svg, png);
  console.log(
    `  1,000 actions: ${fmt(worst)} ms (${worst < TARGET_MS ? 'within' : 'OVER'} target < ${TARGET_MS} ms)`,
  );
}
