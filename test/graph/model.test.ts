import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/graph/model.js';
import type { GraphModel } from '../../src/graph/model-types.js';
import { sample, toml } from './helpers.js';
import { generatedWorkflow } from './workflows.js';

const labelled = (model: GraphModel, kind: string): string[] =>
  model.nodes.filter((node) => node.kind === kind).map((node) => node.lines.join(' | '));

const edgeBetween = (model: GraphModel, from: string, to: string) => {
  const id = (text: string) => model.nodes.find((node) => node.lines[0] === text)?.id;
  return model.edges.find((edge) => edge.from === id(from) && edge.to === id(to));
};

describe('graph model of the sample', () => {
  const model = buildModel(sample());

  it('has the eight stages by order, each a cluster with its action', () => {
    const stages = model.clusters
      .filter((cluster) => cluster.kind === 'stage')
      .map((cluster) => cluster.lines[0]);
    expect(stages).toEqual([
      'Stage 1: Initialization',
      'Stage 2: Execution',
      'Stage 3: FineTuning',
      'Stage 4: Feedback',
      'Stage 5: Regeneration',
      'Stage 6: Deployment',
      'Stage 7: Evaluation',
      'Stage 8: Finalization',
    ]);
    const actions = model.nodes.filter((node) => node.kind === 'action');
    expect(actions.map((node) => node.domId)).toContain('node-Initialization/CreateResources');
    expect(actions).toHaveLength(8);
    expect(model.collapsed).toBe(false);
  });

  it('runs the actions in sequence from start to end', () => {
    expect(edgeBetween(model, 'start', 'CreateResources')?.kind).toBe('next');
    expect(edgeBetween(model, 'CreateResources', 'ExecuteAlgorithm')?.kind).toBe('next');
    expect(edgeBetween(model, 'CleanResources', 'end')?.kind).toBe('next');
  });

  it('draws the branch: true to Execution, false to a missing ErrorHandling', () => {
    expect(labelled(model, 'branch')).toEqual(['branch: ResourcesReadyBranch | if IsResourcesReady']);
    expect(edgeBetween(model, 'branch: ResourcesReadyBranch', 'ExecuteAlgorithm')?.kind).toBe('true');
    const missing = edgeBetween(model, 'branch: ResourcesReadyBranch', 'missing: ErrorHandling');
    expect(missing).toMatchObject({ kind: 'missing', label: 'false' });
  });

  it('draws the parallel group whose tasks do not exist, and the trigger to its handler', () => {
    expect(labelled(model, 'group')).toEqual(['parallel: ConcurrentTasks | (cannot run)']);
    expect(edgeBetween(model, 'parallel: ConcurrentTasks', 'missing: TaskA')?.kind).toBe('missing');
    expect(edgeBetween(model, 'parallel: ConcurrentTasks', 'missing: TaskB')?.kind).toBe('missing');
    expect(labelled(model, 'event')).toEqual(['event: ResourceCreationEvent | resource_creation']);
    expect(labelled(model, 'handler')).toEqual([
      'handler: HandleResourceCreation | notify Administrator (chat.notify)',
    ]);
    const trigger = edgeBetween(model, 'event: ResourceCreationEvent', 'handler: HandleResourceCreation');
    expect(trigger).toMatchObject({ kind: 'trigger', label: 'trigger: ResourceCreationTrigger' });
  });

  it('lists the problems pre-flight finds', () => {
    expect(model.problems).toHaveLength(3);
    expect(model.problems.join('\n')).toMatch(/TaskA[\s\S]*TaskB[\s\S]*ErrorHandling/);
  });
});

describe('graph model', () => {
  it('clusters a parallel group of actions and joins after it; marks approvals and AI steps', () => {
    const model = buildModel(generatedWorkflow(3, 5));
    const groups = model.clusters.filter((cluster) => cluster.kind === 'parallel').map((c) => c.lines[0]);
    expect(groups).toEqual(['parallel: Group0', 'parallel: Group1', 'parallel: Group2']);
    const join = model.nodes.filter((node) => node.kind === 'join');
    expect(join).toHaveLength(3);
    expect(edgeBetween(model, 'S0A0', 'S0A2')).toBeUndefined();
    expect(model.nodes.filter((node) => node.kind === 'approval').length).toBeGreaterThan(0);
    expect(labelled(model, 'ai')[0]).toContain('AI step (ai.invoke)');
    expect(model.problems).toEqual([]);
  });

  it('clusters a parallel group of stages', () => {
    const model = buildModel(
      toml(
        `[[stages]]\nname = "A"\norder = 1\n[[stages]]\nname = "B"\norder = 2\n[[stages]]\nname = "C"\norder = 3\n[[parallel_execution]]\nname = "Both"\ntasks = ["B", "C"]\n`,
      ),
    );
    const group = model.clusters.find((cluster) => cluster.kind === 'parallel');
    expect(group?.lines[0]).toBe('parallel: Both');
    const members = model.clusters.filter((cluster) => cluster.parent === group?.id).map((c) => c.lines[0]);
    expect(members).toEqual(['Stage 2: B', 'Stage 3: C']);
  });

  it('marks a stage that branches always jump past as unreachable', () => {
    const model = buildModel(
      toml(`[[stages]]\nname = "A"\norder = 1\n[[stages.actions]]\nname = "a"\ntype = "transform"
[[stages]]\nname = "B"\norder = 2\n[[stages.actions]]\nname = "b"\ntype = "transform"
[[stages]]\nname = "C"\norder = 3\n[[stages.actions]]\nname = "c"\ntype = "transform"
[[conditions]]\nname = "Ok"\nexpression = "true"
[[branches]]\nname = "Jump"\ncondition = "Ok"\nafter = "A"\nif_true = "C"\nif_false = "C"\n`),
    );
    const stageB = model.clusters.find((cluster) => cluster.lines[0] === 'Stage 2: B');
    expect(stageB).toMatchObject({ problem: true, lines: ['Stage 2: B', '(unreachable)'] });
    expect(model.clusters.find((cluster) => cluster.lines[0] === 'Stage 3: C')?.problem).toBeUndefined();
    expect(model.problems).toEqual([
      'stages[B]: Stage "B" is never reached: the branches before it always jump past it.',
    ]);
    expect(edgeBetween(model, 'a', 'b')).toBeUndefined();
  });

  it('draws on_error handlers and a handler that names nothing', () => {
    const model = buildModel(
      toml(
        `[[stages]]\nname = "A"\n[[stages.actions]]\nname = "a"\ntype = "transform"\non_error = "handler:Nope"\n`,
      ),
    );
    expect(edgeBetween(model, 'a', 'missing: Nope')).toMatchObject({ kind: 'missing', label: 'on error' });
    expect(model.problems[0]).toContain('Nope');
  });

  it('collapses more than 150 actions into one node per stage', () => {
    const model = buildModel(generatedWorkflow(10, 16));
    expect(model.collapsed).toBe(true);
    expect(model.nodes.filter((node) => node.kind === 'stage')).toHaveLength(10);
    expect(model.nodes.some((node) => node.kind === 'action')).toBe(false);
    expect(buildModel(generatedWorkflow(10, 15)).collapsed).toBe(false);
  });
});
