/**
 * What a template path may name, and how a path is spelled back in messages: the roots, the keys
 * that are never read, and the canonical text (`steps.A.output.items[0]`, `inputs["a b"]`).
 */
import type { PathSegment, TemplatePath, TemplateRoot } from './template-types.js';

export const ROOTS: readonly TemplateRoot[] = ['inputs', 'steps', 'run'];
/** Keys that lead to an object's prototype machinery rather than its data. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** A name segment: a letter or "_", then letters, digits, "_" or "-" (sticky: see matchAt). */
export const NAME = /[\p{L}_][\p{L}\p{M}\p{N}_-]*/uy;

export function makePath(root: TemplateRoot, segments: readonly PathSegment[]): TemplatePath {
  return { root, segments, text: pathText(root, segments) };
}

/** Canonical spelling of a path (or of its first `count` segments), for messages. */
export function pathText(
  root: TemplateRoot,
  segments: readonly PathSegment[],
  count = segments.length,
): string {
  let text: string = root;
  for (const segment of segments.slice(0, count)) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (isFullName(segment)) text += `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

function isFullName(segment: string): boolean {
  return matchAt(NAME, segment, 0) === segment;
}

/** The text `pattern` (a sticky regex) matches exactly at `at`, if any. */
export function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  return match === null || match[0] === '' ? undefined : match[0];
}
