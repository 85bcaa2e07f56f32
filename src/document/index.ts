/**
 * The aiTWS document module: section registry, schemas, TOML codec, limits, validation and
 * redaction. Commands, the runtime and the assistant import from here.
 */

export { editedSection } from './edit.js';
export { formatBytes } from './limits.js';
export { maskDocument, maskSecrets } from './redact.js';
export { getSection, resolveSectionPath, SECTIONS, sectionNames } from './sections.js';
export { suggest } from './suggest.js';
export { checkLimits, emptyDocument, parseDocument, stringifyDocument } from './toml.js';
export { isTable } from './tree.js';
export * from './types.js';
export {
  type ChangeFindings,
  type ValidationMode,
  type ValidationReport,
  validateChange,
  validateDocument,
  validateReplacement,
} from './validate.js';
