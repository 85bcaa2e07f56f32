/**
 * DOT → SVG with Graphviz (WebAssembly, loaded once per process, when first needed) and SVG → PNG
 * with resvg, drawing text only with the fonts shipped in ./fonts (no system fonts: the picture
 * is the same on every machine). PNGs are capped at MAX_PNG_SIDE pixels a side.
 */
import { fileURLToPath } from 'node:url';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { Resvg } from '@resvg/resvg-js';
import { AitwsError } from '../errors.js';
import { FONT } from './dot-style.js';

/** The most pixels a PNG has a side; bigger graphs are scaled down to fit. */
export const MAX_PNG_SIDE = 4000;
/** The scale a small graph is drawn at (1 = 96 dpi). */
export const PNG_ZOOM = 1.5;

export const FONT_FILES: readonly string[] = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) =>
  fileURLToPath(new URL(`./fonts/${file}`, import.meta.url)),
);

let graphviz: Promise<Graphviz> | undefined;

function loadGraphviz(): Promise<Graphviz> {
  graphviz ??= Graphviz.load().catch((error: unknown) => {
    graphviz = undefined;
    throw new AitwsError('NOT_AVAILABLE', 'The graph layout engine (Graphviz) could not be loaded.', {
      cause: error,
    });
  });
  return graphviz;
}

/**
 * Graphviz writes `-` in ids as `&#45;` (so `--` never appears in its comments); in an id or class
 * that is only noise: written plainly, so `id="node-Train/Fit"` is found as text too.
 */
function plainIds(svg: string): string {
  return svg.replace(
    / (id|class)="([^"]*)"/g,
    (_whole, name: string, value: string) => ` ${name}="${value.replaceAll('&#45;', '-')}"`,
  );
}

export async function dotToSvg(dot: string): Promise<string> {
  const engine = await loadGraphviz();
  try {
    return plainIds(engine.dot(dot));
  } catch (error) {
    throw new AitwsError('NOT_AVAILABLE', 'Graphviz could not lay out the workflow.', { cause: error });
  }
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** The SVG's size in CSS pixels (Graphviz writes points: 1pt = 4/3 px). */
export function svgSize(svg: string): Size {
  const head = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const read = (name: string): number => {
    const match = new RegExp(`\\b${name}="([\\d.]+)(pt|px)?"`).exec(head);
    const value = Number(match?.[1] ?? 0);
    return Math.ceil(match?.[2] === 'pt' ? (value * 4) / 3 : value);
  };
  return { width: read('width'), height: read('height') };
}

export interface Png extends Size {
  readonly content: Uint8Array;
}

export function svgToPng(svg: string): Png {
  const size = svgSize(svg);
  const largest = Math.max(size.width, size.height, 1);
  const zoom = Math.min(PNG_ZOOM, (MAX_PNG_SIDE - 1) / largest);
  try {
    const image = new Resvg(svg, {
      font: {
        loadSystemFonts: false,
        fontFiles: [...FONT_FILES],
        defaultFontFamily: FONT,
        sansSerifFamily: FONT,
      },
      fitTo: { mode: 'zoom', value: zoom },
      background: '#FFFFFF',
    }).render();
    return { content: new Uint8Array(image.asPng()), width: image.width, height: image.height };
  } catch (error) {
    throw new AitwsError('NOT_AVAILABLE', 'The workflow picture could not be drawn as PNG.', {
      cause: error,
    });
  }
}
