/** Resolving a template path against the RuntimeContext, through own data properties only. */
import type { RuntimeContext } from './runtime-context.js';
import { FORBIDDEN_SEGMENTS, pathText } from './template-paths.js';
import { type PathSegment, TemplateError, type TemplatePath } from './template-types.js';

/** Walks the path through own data properties only. */
export function resolvePath(path: TemplatePath, context: RuntimeContext): unknown {
  let current = ownValue(context, path.root);
  if (current === undefined) throw missing(path, 0, context);
  for (const [index, segment] of path.segments.entries()) {
    current = stepInto(current, segment, path, index);
  }
  return current;
}

function stepInto(container: unknown, segment: PathSegment, path: TemplatePath, index: number): unknown {
  if (typeof segment === 'number') {
    if (!Array.isArray(container)) throw wrongShape(path, index, container, 'a list to index');
    const value = segment < container.length ? ownValue(container, String(segment)) : undefined;
    if (value === undefined) throw missingIndex(path, index, container.length);
    return value;
  }
  if (container === null || typeof container !== 'object' || Array.isArray(container)) {
    throw wrongShape(path, index, container, 'an object with keys');
  }
  const value = ownValue(container, segment);
  if (value === undefined) throw missing(path, index + 1, container);
  return value;
}

/** An own data property's value; inherited keys, getters and `undefined` count as missing. */
export function ownValue(container: object, key: string): unknown {
  if (!Object.hasOwn(container, key)) return undefined;
  const descriptor = Object.getOwnPropertyDescriptor(container, key);
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
}

/** `count` is how many parts of the path were found; the hint lists the keys that are readable. */
function missing(path: TemplatePath, count: number, container: object): TemplateError {
  const parent = count === 0 ? 'the context' : pathText(path.root, path.segments, count - 1);
  const key = count === 0 ? path.root : String(path.segments[count - 1]);
  const shown = Object.keys(container)
    .filter((name) => !FORBIDDEN_SEGMENTS.has(name) && ownValue(container, name) !== undefined)
    .sort();
  const hint =
    shown.length === 0
      ? `${parent} is empty.`
      : `${parent} has: ${shown.slice(0, 10).join(', ')}${shown.length > 10 ? ', …' : ''}.`;
  return new TemplateError(`{{ ${path.text} }} cannot be resolved: ${parent} has no "${key}".`, {
    path: path.text,
    hint,
  });
}

function missingIndex(path: TemplatePath, index: number, length: number): TemplateError {
  const parent = pathText(path.root, path.segments, index);
  return new TemplateError(
    `{{ ${path.text} }} cannot be resolved: ${parent} has ${length} item${length === 1 ? '' : 's'}, so there is no [${String(path.segments[index])}].`,
    { path: path.text },
  );
}

function wrongShape(path: TemplatePath, index: number, value: unknown, needed: string): TemplateError {
  const parent = pathText(path.root, path.segments, index);
  return new TemplateError(
    `{{ ${path.text} }} cannot be resolved: ${parent} is ${describeValue(value)}, not ${needed}.`,
    { path: path.text },
  );
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
