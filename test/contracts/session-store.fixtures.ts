/** Documents and helpers for the SessionStore contract suite. */
import { parse, TomlDate } from 'smol-toml';
import type { AitwsDocument, TomlValue } from '../../src/document/types.js';
import type { ChangeToWrite, ChannelKey } from '../../src/session/port.js';

/** Everything a parsed TOML document can hold that JSON cannot hold as is. */
const RICH_TOML = `
[metadata]
name = "Ünïcödé workflow 🚀"
"clé spéciale" = "值 — ✓"
created = 1979-05-27T07:32:00Z
offset = 1979-05-27T00:32:00.999-07:00
local_datetime = 1979-05-27T07:32:00
local_date = 1979-05-27
local_time = 07:32:00.5
empty = ""
multiline = """line 1
line 2\ttabbed"""

[metadata.nested.deeper]
list = [1, 2.5, -3, true, "x", ["nested", []]]
mixed = [{ a = 1 }, { b = [{ c = "d" }] }]

[[stages]]
name = "Prep"
order = 1

[[stages.actions]]
name = "Load"
params = { retries = 3, when = 2024-01-01 }

[[stages]]
name = "Train"
order = 2

[numbers]
nan = nan
inf = inf
ninf = -inf
negzero = -0.0
max_safe = 9007199254740991
hex = 0xff

[tricky]
"$toml_date" = "not a date"
"__proto__" = "still data"

[tricky.looks_like_a_date]
"$toml_date" = "1979-05-27"

[tricky.looks_like_a_table]
"$table" = { x = 1 }
`;

export function richDocument(): AitwsDocument {
  const document = parse(RICH_TOML);
  // smol-toml only produces bigints when asked to; the document type allows them.
  document.x_bigint = { value: 12_345_678_901_234_567_890n };
  return document;
}

export function simpleDocument(name: string, extra: Record<string, TomlValue> = {}): AitwsDocument {
  return { metadata: { name, version: '1.0', ...extra } };
}

export function changeOf(document: AitwsDocument | null, n: number, by = 'alice'): ChangeToWrite {
  return { document, at: new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString(), by, change: `change ${n}` };
}

export const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T0001', channel: 'C0001' };

/** Every date in `value` with its path, class and exact TOML text: equality alone ignores the form. */
export function dateForms(value: TomlValue | null, path = ''): string[] {
  if (value instanceof Date) {
    const kind = value instanceof TomlDate ? 'TomlDate' : 'Date';
    return [`${path} ${kind} ${value.toISOString()}`];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => dateForms(item, `${path}.${key}`));
}
