/**
 * The aiTWS document module: section registry, schemas, TOML codec, limits, validation and
 * redaction. Commands, the runtime and the assistant import from here.
 */
export { formatDuration, isDuration, parseDuration } from './duration.js';
export { checkStructure, FORBIDDEN_KEYS, formatBytes } from './limits.js';
export {
  hasUrlPassword,
  isSecretKey,
  isSecretReference,
  MASK,
  maskDocument,
  maskSecrets,
  SECRET_KEY_PATTERN,
  SECRET_PATTERNS,
  SECRET_REFERENCE_PATTERN,
  type SecretPattern,
} from './redact.js';
export { danglingReferences, ReferenceIndex } from './references.js';
export { describeExpected, entrySchema, fieldSchemaOf, isUrlLike, sectionSchema } from './schema.js';
export {
  acceptsExtraFields,
  BUILTIN_ACTION_TYPES,
  fieldOf,
  getNestedList,
  getSection,
  resolveSectionPath,
  SECTIONS,
  sectionNames,
} from './sections.js';
export { editDistance, suggest } from './suggest.js';
export { caretExcerpt, checkLimits, emptyDocument, parseDocument, stringifyDocument } from './toml.js';
export { cloneValue, isTable, isTableArray } from './tree.js';
export * from './types.js';
export {
  assertValid,
  describeValue,
  type ValidationMode,
  type ValidationOptions,
  type ValidationReport,
  validateDocument,
} from './validate.js';
