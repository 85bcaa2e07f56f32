/**
 * The in-memory aiTWS document is the parsed TOML table itself, so unknown sections and fields
 * survive a load/save round trip untouched. Values are what smol-toml produces.
 */
import type { TomlDate } from 'smol-toml';

export type TomlPrimitive = string | number | bigint | boolean | TomlDate | Date;
export type TomlValue = TomlPrimitive | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}
export type AitwsDocument = TomlTable;

export type SectionKind = 'table' | 'list';

export type FieldType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'string[]'
  | 'duration'
  | 'url'
  | 'table'
  | 'table[]'
  | 'any';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
  readonly required?: boolean;
  /** Values the spec lists as supported; others load with a warning. */
  readonly knownValues?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** The field names an entry of another section (`roles`) or a stage action. */
  readonly references?: string;
  readonly secret?: boolean;
  readonly example?: string;
}

export interface SectionSpec {
  readonly name: string;
  readonly kind: SectionKind;
  readonly description: string;
  /** For list sections: the field that identifies an entry (`name`, or `role` for authorization). */
  readonly key?: string;
  readonly fields: readonly FieldSpec[];
  /** A complete, valid `/add` command for this section. */
  readonly example: string;
  /** Nested lists (stages.actions): name, key field, and the parent selector used by `/add`. */
  readonly children?: readonly NestedListSpec[];
}

export interface NestedListSpec {
  readonly name: string;
  readonly key: string;
  /** The `/add` parameter that selects the parent entry, e.g. `stage` for `stages.actions`. */
  readonly parentParam: string;
  readonly fields: readonly FieldSpec[];
  readonly description: string;
  readonly example: string;
}

export interface Limits {
  readonly documentBytes: number;
  readonly entriesPerList: number;
  readonly stringBytes: number;
  readonly nestingDepth: number;
}

export const DEFAULT_LIMITS = {
  documentBytes: 256 * 1024,
  entriesPerList: 1000,
  stringBytes: 8 * 1024,
  nestingDepth: 16,
} as const satisfies Limits;
