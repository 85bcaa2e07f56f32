/**
 * Whether a section is already in canonical order (registry order for known fields, then the rest
 * sorted, at every depth), as every file this bot saved is. Such a section is written as it is
 * rather than copied: stringify reads only keys in order and values, and a copy changes neither.
 * Each check answers exactly "would the canonical copy list the same keys in the same order?".
 */
import { getSection } from './sections.js';
import { isTable } from './tree.js';
import type { NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

export function byCodeUnit(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * The canonical copy drops undefined members and sorts keys; a table needing either is not
 * canonical. Callers skip the call for plain values (`typeof` not object), which are most of them.
 */
function isSortedDeep(value: TomlValue | undefined): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === 'object' && !isSortedDeep(item)) return false;
    }
    return true;
  }
  if (!isTable(value)) return true;
  let previous: string | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] ?? '';
    const item = value[key];
    if (item === undefined || (previous !== undefined && byCodeUnit(previous, key) >= 0)) return false;
    if (typeof item === 'object' && !isSortedDeep(item)) return false;
    previous = key;
  }
  return true;
}

interface Order {
  /** Registry fields in order, each with the order of its nested list if it is one. */
  readonly fields: readonly { readonly name: string; readonly child: Order | undefined }[];
  /** Nested lists that are not registry fields: ordered by name wherever they sit. */
  readonly others: ReadonlyMap<string, Order>;
}

const NO_FIELD = { name: '', child: undefined };

const orders = new WeakMap<SectionSpec | NestedListSpec, Order>();

function orderOf(spec: SectionSpec | NestedListSpec): Order {
  const cached = orders.get(spec);
  if (cached !== undefined) return cached;
  const children = 'children' in spec ? (spec.children ?? []) : [];
  const order: Order = {
    fields: spec.fields.map((field) => {
      const child = children.find((candidate) => candidate.name === field.name);
      return { name: field.name, child: child === undefined ? undefined : orderOf(child) };
    }),
    others: new Map(
      children
        .filter((child) => !spec.fields.some((field) => field.name === child.name))
        .map((child) => [child.name, orderOf(child)]),
    ),
  };
  orders.set(spec, order);
  return order;
}

/**
 * The copy lists the registry fields the table owns, in registry order, then the other keys sorted.
 * So each field must be the next key or not owned at all: owned further on (out of order) or not
 * enumerable (the copy would list it), it fails. What remains is then all unknown keys.
 */
function isOrdered(table: TomlTable, order: Order): boolean {
  const keys = Object.keys(table);
  let next = 0;
  for (let i = 0; i < order.fields.length; i++) {
    const { name, child } = order.fields[i] ?? NO_FIELD;
    if (keys[next] !== name) {
      if (Object.hasOwn(table, name)) return false;
      continue;
    }
    next += 1;
    const value = table[name];
    if (value === undefined) return false;
    if (typeof value !== 'object') continue;
    if (!(child !== undefined && Array.isArray(value) ? isOrderedList(value, child) : isSortedDeep(value)))
      return false;
  }
  let previous: string | undefined;
  for (; next < keys.length; next++) {
    const key = keys[next] ?? '';
    const value = table[key];
    if (value === undefined || (previous !== undefined && byCodeUnit(previous, key) >= 0)) return false;
    previous = key;
    if (typeof value !== 'object') continue;
    const child = order.others.size === 0 ? undefined : order.others.get(key);
    if (!(child !== undefined && Array.isArray(value) ? isOrderedList(value, child) : isSortedDeep(value)))
      return false;
  }
  return true;
}

function isOrderedList(list: readonly TomlValue[], order: Order): boolean {
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    if (!(isTable(entry) ? isOrdered(entry, order) : isSortedDeep(entry))) return false;
  }
  return true;
}

export function isCanonicalSection(name: string, value: TomlValue): boolean {
  const spec = getSection(name);
  if (spec === undefined) return isSortedDeep(value);
  if (spec.kind === 'table' && isTable(value)) return isOrdered(value, orderOf(spec));
  if (spec.kind === 'list' && Array.isArray(value)) return isOrderedList(value, orderOf(spec));
  return isSortedDeep(value);
}
