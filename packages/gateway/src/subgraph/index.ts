/**
 * The subgraph side of `@bulwark/gateway`: verify the gateway's signed principal and refuse calls
 * made around the gateway. Import it as `@bulwark/gateway/subgraph`: unlike the package root, it
 * does not load `@apollo/gateway`, which a subgraph does not need.
 */
export {
  GATEWAY_SIGNATURE_MESSAGE,
  PRINCIPAL_VERIFIER_DEFAULTS,
  createPrincipalVerifier,
} from '../verifier.js';
export type {
  GatewaySignatureCheck,
  HeadersLike,
  PrincipalVerifier,
  PrincipalVerifierOptions,
  VerifiableRequest,
} from '../verifier.js';
export { MAX_PRINCIPAL_HEADER_LENGTH, PRINCIPAL_HEADER, requestBinding } from '../envelope.js';
export type { SubgraphRequest } from '../envelope.js';
export { MIN_SECRET_BYTES } from '../secret.js';
export type { GatewaySecret } from '../secret.js';
