export { FEDERATION_LINK, USERS, accountsResolvers, accountsTypeDefs } from './accounts.js';
export type { UserRecord } from './accounts.js';
export { OrdersData, ordersResolvers, ordersTypeDefs } from './orders.js';
export { policies } from './policies.js';
export {
  NOMINAL_URLS,
  SUBGRAPH_TYPE_DEFS,
  SUPERGRAPH_FILE,
  composeSupergraph,
  readSupergraph,
} from './supergraph.js';
export type { SubgraphName } from './supergraph.js';
export { startSubgraph } from './subgraph.js';
export type { RunningSubgraph, SubgraphConfig } from './subgraph.js';
export {
  GATEWAY_BUDGET,
  GATEWAY_LIMITS,
  GATEWAY_RATE_LIMIT_RULES,
  createGatewaySecurity,
} from './security.js';
export type { GatewayContext, GatewaySecurity, GatewaySecurityConfig } from './security.js';
export { startGateway, supergraphFromFile } from './gateway.js';
export type { GatewayConfig, RunningGateway } from './gateway.js';
export { startStack } from './stack.js';
export type { RunningStack, StackConfig } from './stack.js';
export { DEMO_USERS, DEV_AUDIENCE, DEV_ISSUER, createDevIssuer } from './dev-issuer.js';
export type { DevIssuer, DevTokenClaims } from './dev-issuer.js';
