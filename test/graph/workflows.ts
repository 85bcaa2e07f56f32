/** Workflows generated for the graph tests and bench/graph.ts. */
import { newTable } from '../../src/document/tree.js';
import type { AitwsDocument, TomlTable } from '../../src/document/types.js';

function table(fields: Record<string, TomlTable[keyof TomlTable]>): TomlTable {
  return Object.assign(newTable(), fields);
}

const TYPES = ['http.request', 'ai.invoke', 'transform', 'human.approval', 'chat.notify'];

/**
 * `stages` stages of `perStage` actions each (types cycling through approvals and AI steps), the
 * first two actions of each stage in a parallel group, and a branch after the first stage.
 */
export function generatedWorkflow(stages: number, perStage: number): AitwsDocument {
  const list: TomlTable[] = [];
  const groups: TomlTable[] = [];
  for (let s = 0; s < stages; s++) {
    const actions: TomlTable[] = [];
    for (let a = 0; a < perStage; a++)
      actions.push(table({ name: `S${s}A${a}`, type: TYPES[(s + a) % TYPES.length] ?? 'transform' }));
    list.push(table({ name: `Stage${s}`, order: s + 1, actions }));
    if (perStage >= 2) groups.push(table({ name: `Group${s}`, tasks: [`S${s}A0`, `S${s}A1`] }));
  }
  return table({
    metadata: table({ name: `Generated ${stages * perStage} actions`, version: '1.0.0' }),
    stages: list,
    parallel_execution: groups,
    conditions: [table({ name: 'Ok', type: 'cel', expression: 'true' })],
    branches:
      stages >= 3
        ? [table({ name: 'Skip', condition: 'Ok', after: 'Stage0', if_true: 'Stage1', if_false: 'Stage2' })]
        : [],
  });
}

/** The 1,000-action workflow of the bench and the collapse test: 50 stages of 20 actions. */
export function thousandActions(): AitwsDocument {
  return generatedWorkflow(50, 20);
}
