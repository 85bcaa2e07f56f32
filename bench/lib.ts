/**
 * Tiny benchmark kit: every figure is a median over rounds, and every benchmark prints a ratio
 * against a floor measured in the same run, because this machine is noisy.
 */
import { performance } from 'node:perf_hooks';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

/** Median microseconds per operation over `rounds` rounds of `iterations` calls. */
export async function microsPerOp(
  operation: () => unknown,
  options: { iterations: number; rounds: number; warmup?: number },
): Promise<number> {
  for (let i = 0; i < (options.warmup ?? options.iterations); i++) await operation();
  const samples: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < options.iterations; i++) await operation();
    samples.push(((performance.now() - start) * 1000) / options.iterations);
  }
  return median(samples);
}

export function fmt(value: number, digits = 1): string {
  return value.toFixed(digits);
}

export function verdict(ratio: number, target: number): string {
  return ratio <= target ? `within target <= ${target}x` : `OVER target <= ${target}x`;
}
