/** What a condition or a template can read while a workflow runs. */
export interface RuntimeContext {
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly steps: Readonly<Record<string, unknown>>;
  readonly run: Readonly<Record<string, unknown>>;
}
