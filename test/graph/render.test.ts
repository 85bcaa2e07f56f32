import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { actionNodeId, graphDot, MAX_PNG_SIDE, type NodeState, renderGraph } from '../../src/graph/index.js';
import { decode, sample, svgGroup, toml } from './helpers.js';
import { thousandActions } from './workflows.js';

const HOSTILE = 'x" shape=star label="pwned\\N <b>bold</b> & {a|b}\nnext line';

function hostileDocument() {
  return toml(`[metadata]\nname = "T <script>"\n[[stages]]\nname = "S/1 \\"q\\""\norder = 1
[[stages.actions]]\nname = ${JSON.stringify(HOSTILE)}\ntype = "human.approval"\n`);
}

/** PNG chunks, checked as a decoder reads them. */
function chunks(png: Uint8Array): { type: string; data: Buffer }[] {
  const buffer = Buffer.from(png);
  expect(buffer.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const found: { type: string; data: Buffer }[] = [];
  for (let offset = 8; offset < buffer.length; ) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    found.push({ type, data: buffer.subarray(offset + 8, offset + 8 + length) });
    offset += 12 + length;
  }
  return found;
}

describe('renderGraph', () => {
  it('draws the sample as SVG with the action ids, the problems and the legend', async () => {
    const picture = await renderGraph(sample(), 'svg');
    expect(picture).toMatchObject({ format: 'svg', contentType: 'image/svg+xml', collapsed: false });
    const svg = decode(picture.content);
    expect(svg.startsWith('<?xml')).toBe(true);
    for (const id of [
      'node-Initialization/CreateResources',
      'node-Finalization/CleanResources',
      'stage-Execution',
    ])
      expect(svg).toContain(`id="${id}"`);
    expect(svg).toContain('missing: ErrorHandling');
    expect(svg).toContain('missing: TaskA');
    expect(svg).toContain('Problems (3):');
    expect(picture.problems).toHaveLength(3);
    expect(picture.width).toBeGreaterThan(100);
  });

  it('escapes user text: quotes, angle brackets, backslashes and newlines cannot reach DOT', async () => {
    const { dot } = graphDot(hostileDocument());
    const nodeLine = dot.split('\n').find((line) => line.includes('pwned')) ?? '';
    expect(nodeLine).toContain(
      'label="x\\" shape=star label=\\"pwned\\\\N <b>bold</b> & {a|b} next line\\napproval (human.approval)',
    );
    expect(nodeLine).toContain('shape=hexagon');
    // Every line is one statement of ours: no user newline split one.
    for (const line of dot.split('\n'))
      expect(line).toMatch(
        /^(digraph workflow \{|\s*\}|\s+(graph|node|edge|n\d+|subgraph|legend_\w+|problems)\b.*|\s+label=.*|)$/,
      );
    const svg = decode((await renderGraph(hostileDocument(), 'svg')).content);
    expect(svg).not.toContain('<b>');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(svg).toContain('pwned\\N');
    expect(svg).toContain(`id="${actionNodeId('S/1 "q"', HOSTILE)}"`);
    expect(actionNodeId('S/1 "q"', 'a_b')).toBe('node-S_2F_1_20__22_q_22_/a_5F_b');
  });

  it('colours each node by its state and adds a legend', async () => {
    const states = new Map<string, NodeState>([
      ['Initialization/CreateResources', 'done'],
      ['Execution/ExecuteAlgorithm', 'failed'],
      ['FineTuning/FineTuneModel', 'running'],
      ['Feedback/GatherFeedback', 'waiting'],
      ['Regeneration/RegenerateCode', 'skipped'],
    ]);
    const svg = decode((await renderGraph(sample(), 'svg', { states })).content);
    const fills: Record<string, string> = {
      'node-Initialization/CreateResources': '#2e7d32',
      'node-Execution/ExecuteAlgorithm': '#c62828',
      'node-FineTuning/FineTuneModel': '#1565c0',
      'node-Feedback/GatherFeedback': '#ffc107',
      'node-Regeneration/RegenerateCode': '#bdbdbd',
      'node-Deployment/DeployModel': '#ffffff',
    };
    for (const [id, fill] of Object.entries(fills))
      expect(svgGroup(svg, id)?.toLowerCase()).toContain(`fill="${fill}"`);
    expect(svgGroup(svg, 'node-Initialization/CreateResources')).toContain('class="node action state-done"');
    expect(svgGroup(svg, 'node-Deployment/DeployModel')).toContain('state-pending');
    expect(svg).toContain('not reached');
    expect(svg).toContain('Legend');
  });

  it('collapses 1,000 actions to one node per stage, with a summary of states', async () => {
    const states = new Map<string, NodeState>([
      ['Stage0/S0A0', 'done'],
      ['Stage0/S0A1', 'failed'],
    ]);
    const picture = await renderGraph(thousandActions(), 'svg', { states });
    expect(picture.collapsed).toBe(true);
    const svg = decode(picture.content);
    expect(svg).toContain('collapsed: 1000 actions in 50 stages, one node per stage');
    expect(svgGroup(svg, 'stage-Stage0')).toContain('1 done · 1 failed · 18 not reached');
    expect(svgGroup(svg, 'stage-Stage0')?.toLowerCase()).toContain('fill="#c62828"');
    expect(svg).toContain('id="stage-Stage49"');
    expect(svg).not.toContain('id="node-');
  });

  it('draws a PNG that decodes, within the size cap, not all one colour', async () => {
    const picture = await renderGraph(sample(), 'png');
    expect(picture.contentType).toBe('image/png');
    const found = chunks(picture.content);
    const header = found[0];
    expect(header?.type).toBe('IHDR');
    const width = header?.data.readUInt32BE(0) ?? 0;
    const height = header?.data.readUInt32BE(4) ?? 0;
    expect([width, height]).toEqual([picture.width, picture.height]);
    expect(width).toBeGreaterThan(200);
    expect(Math.max(width, height)).toBeLessThanOrEqual(MAX_PNG_SIDE);
    const [bitDepth, colourType] = [header?.data[8], header?.data[9]];
    expect(bitDepth).toBe(8);
    expect(found.at(-1)?.type).toBe('IEND');
    const pixels = inflateSync(
      Buffer.concat(found.filter((chunk) => chunk.type === 'IDAT').map((chunk) => chunk.data)),
    );
    const channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 1;
    expect(pixels.length).toBe(height * (1 + width * channels));
    // Filter bytes aside, the rows are not all the same colour (text and shapes were drawn).
    const distinct = new Set<number>();
    for (let row = 0; row < height && distinct.size < 3; row += 7) {
      const start = row * (1 + width * channels) + 1;
      for (let x = 0; x < width * channels; x += channels) distinct.add(pixels[start + x] ?? 0);
    }
    expect(distinct.size).toBeGreaterThan(2);
  });

  it('scales a big graph down to the cap', async () => {
    const picture = await renderGraph(thousandActions(), 'png');
    expect(Math.max(picture.width, picture.height)).toBeLessThanOrEqual(MAX_PNG_SIDE);
    expect(chunks(picture.content)[0]?.data.readUInt32BE(4)).toBe(picture.height);
  });
});
