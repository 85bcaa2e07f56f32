/**
 * `{{ … }}` templates in workflow fields: `{{ inputs.x }}`, `{{ steps.A.output.items[0] }}`,
 * `{{ run.id }}`. A template is parsed once (at submit/approval time, so pre-flight can refuse a
 * malformed one and check the steps it names) and rendered when an action runs.
 *
 * Grammar (whitespace is allowed just inside the braces, not within the path):
 *   placeholder = "{{" path "}}"
 *   path        = root segment+        root = "inputs" | "steps" | "run"
 *   segment     = "." name | "[" digits "]" | "[" quoted "]"
 *   name        = a letter or "_", then letters, digits, "_" or "-"   (`steps.fine-tune.output`)
 *   quoted      = "…" or '…' with \\ \" \' escapes                   (`steps["Train model"]`)
 * A backslash right before `{{` makes it literal text (`\{{ x }}` renders `{{ x }}`); there is no way
 * to put a literal backslash immediately before a placeholder, which no workflow needs so far.
 *
 * Safety: values are read from own data properties only (`Object.hasOwn` semantics, getters are
 * never run), and `__proto__`, `constructor` and `prototype` are refused at parse time, so a
 * template can neither read nor reach anything inherited. Output, path length and JSON nesting are
 * capped (TEMPLATE_LIMITS).
 *
 * This is the public entry point. The pieces:
 *   template-types.ts    TEMPLATE_LIMITS, the parsed shapes, TemplateError
 *   template-paths.ts    the roots, refused keys, and a path's canonical spelling
 *   template-parse.ts    parseTemplate and the steps/inputs a template names
 *   template-resolve.ts  resolvePath through own data properties
 *   template-render.ts   resolveValue and renderTemplate (capped output, canonical JSON)
 */
export type { RuntimeContext } from './runtime-context.js';
export { excerptAt, positionAt, type SourcePosition } from './source-position.js';
export { parseTemplate } from './template-parse.js';
export { renderTemplate, resolveValue } from './template-render.js';
export { resolvePath } from './template-resolve.js';
export {
  type PathSegment,
  TEMPLATE_LIMITS,
  type Template,
  TemplateError,
  type TemplatePart,
  type TemplatePath,
  type TemplateReferences,
  type TemplateRoot,
} from './template-types.js';
