/**
 * Which stages a run can reach: stages run in order, parallel groups of stages as one step, and
 * `[[branches]]` jump as the runtime's walk does (src/runtime/walk.ts): at each point the first
 * branch with a target decides; one whose both targets are forward leaves no way on in order.
 */
import type { PlannedBranch } from '../runtime/plan-types.js';
import type { OutlineStage } from '../runtime/preflight-outline.js';

/** A step of the run: one stage, or a parallel group of stages (plan order). */
export type StageStep = readonly OutlineStage[];

function indexOfStage(steps: readonly StageStep[], name: string): number {
  return steps.findIndex((step) => step.some((stage) => stage.name === name));
}

/** Step indexes `branches` at `stage` (`when`) may go to, and whether the run may go on in order. */
export function jumps(
  steps: readonly StageStep[],
  branches: readonly PlannedBranch[],
  stage: string,
  when: 'before' | 'after',
): { readonly targets: number[]; readonly onward: boolean } {
  const targets: number[] = [];
  const from = indexOfStage(steps, stage);
  for (const branch of branches) {
    if (branch.at !== stage || branch.when !== when) continue;
    const to = [branch.ifTrue, branch.ifFalse].map((name) =>
      name === undefined ? -1 : indexOfStage(steps, name),
    );
    targets.push(...to.filter((index) => index >= 0));
    const forward = to.every((index) => index >= 0 && (when === 'after' ? index > from : index >= from));
    if (forward) return { targets, onward: false };
  }
  return { targets, onward: true };
}

/** Names of the stages no run reaches. */
export function unreachableStages(steps: readonly StageStep[], branches: readonly PlannedBranch[]): string[] {
  const reached = new Set<number>();
  const queue = steps.length > 0 ? [0] : [];
  while (queue.length > 0) {
    const index = queue.pop() ?? 0;
    const step = steps[index];
    if (step === undefined || reached.has(index)) continue;
    reached.add(index);
    const first = step[0];
    const last = step[step.length - 1];
    if (first !== undefined) queue.push(...jumps(steps, branches, first.name, 'before').targets);
    if (last === undefined) continue;
    const after = jumps(steps, branches, last.name, 'after');
    queue.push(...after.targets);
    if (after.onward) queue.push(index + 1);
  }
  return steps.flatMap((step, index) => (reached.has(index) ? [] : step.map((stage) => stage.name)));
}
