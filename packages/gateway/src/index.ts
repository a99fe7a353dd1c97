export { RULES_UNAVAILABLE_MESSAGE, supergraphBridgePlugin } from './bridge.js';
export type { SupergraphBridgeOptions } from './bridge.js';
export {
  COST_SPEC_URL,
  SUPPORTED_SPECS,
  readSupergraphMetadata,
  supergraphAuthzMetadata,
  supergraphCostMetadata,
} from './metadata.js';
export type { SupergraphMetadata } from './metadata.js';
export { SupergraphLinkError, linkedSpec } from './link.js';
export type { LinkedSpec } from './link.js';
export { MAX_PRINCIPAL_HEADER_LENGTH, PRINCIPAL_HEADER, requestBinding } from './envelope.js';
export type { SubgraphRequest } from './envelope.js';
export { MIN_SECRET_BYTES } from './secret.js';
export type { GatewaySecret } from './secret.js';
export { PRINCIPAL_SIGNER_DEFAULTS, createPrincipalSigner } from './signer.js';
export type { PrincipalSigner, PrincipalSignerOptions, SignInput } from './signer.js';
export {
  GATEWAY_SIGNATURE_MESSAGE,
  PRINCIPAL_VERIFIER_DEFAULTS,
  createPrincipalVerifier,
} from './verifier.js';
export type {
  GatewaySignatureCheck,
  HeadersLike,
  PrincipalVerifier,
  PrincipalVerifierOptions,
  VerifiableRequest,
} from './verifier.js';
export { SignedDataSource } from './data-source.js';
export type { SignedDataSourceOptions } from './data-source.js';
export { authzCompositionConflicts } from './composition.js';
export type { CompositionHintLike } from './composition.js';
