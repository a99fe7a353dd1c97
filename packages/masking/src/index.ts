export { createMasking } from './masking.js';
export type { ErrorMasking, FormatError } from './masking.js';
export { LEAKY_EXTENSION_KEYS, maskError, stackOf } from './mask.js';
export type { MaskResult } from './mask.js';
export {
  classifyError,
  codeOf,
  GENERIC_CLIENT_MESSAGES,
  leakingCause,
  rootCause,
} from './classify.js';
export type { ErrorClassification } from './classify.js';
export { redactedMessage } from './redact.js';
export { DEFAULT_SAFE_ERROR_CODES, MASKING_DEFAULTS, resolveMaskingOptions } from './options.js';
export type { MaskingOptions, ResolvedMaskingOptions } from './options.js';
