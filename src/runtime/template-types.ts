/** The shapes, limits and error shared by template parsing, resolution and rendering. */
import { AitwsError } from '../errors.js';
import type { RuntimeContext } from './runtime-context.js';
import type { SourcePosition } from './source-position.js';

export const TEMPLATE_LIMITS = Object.freeze({
  /** Characters in a template's source. */
  maxSourceLength: 1024 * 1024,
  /** UTF-8 bytes a rendered template may produce; a larger one is refused, never truncated. */
  maxOutputBytes: 1024 * 1024,
  /** Segments after the root in one path. */
  maxPathSegments: 32,
  /** Object/array nesting when a value is rendered as JSON. */
  maxJsonDepth: 64,
  /** Digits in an array index. */
  maxIndexDigits: 9,
});

export type TemplateRoot = keyof RuntimeContext;
export type PathSegment = string | number;

export interface TemplatePath {
  readonly root: TemplateRoot;
  readonly segments: readonly PathSegment[];
  /** The path written canonically: `steps.A.output.items[0]`, `inputs["a b"]`. */
  readonly text: string;
}

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly path: TemplatePath; readonly position: SourcePosition };

export interface TemplateReferences {
  /** Step names, in order of first use. */
  readonly steps: string[];
  /** Top-level input names, in order of first use. */
  readonly inputs: string[];
}

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  references(): TemplateReferences;
}

/** A template that is malformed or cannot be resolved; `message` is safe to show a chat user. */
export class TemplateError extends AitwsError {
  readonly position: SourcePosition | undefined;
  readonly path: string | undefined;
  constructor(
    message: string,
    options: { position?: SourcePosition; path?: string; hint?: string; details?: readonly string[] } = {},
  ) {
    super('VALIDATION', message, {
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.details === undefined ? {} : { details: options.details }),
    });
    this.name = 'TemplateError';
    this.position = options.position;
    this.path = options.path;
  }
}
