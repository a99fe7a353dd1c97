import type { OnSecurityEvent, Principal } from '@bulwark/core';
import type { GatewaySecret } from '@bulwark/gateway';
import type { SupergraphManager } from '@apollo/gateway';
import { startGateway } from './gateway.js';
import type { RunningGateway } from './gateway.js';
import type { GatewaySecurityConfig } from './security.js';
import { startSubgraph } from './subgraph.js';
import type { RunningSubgraph } from './subgraph.js';

/** Configuration of the whole example in one process (tests, benchmarks). */
export interface StackConfig {
  secret: GatewaySecret;
  security: GatewaySecurityConfig;
  /** Gateway port. @default 0 */
  port?: number;
  supergraph?: string | SupergraphManager;
  /** The clock of the signatures on both sides. @default Date.now */
  now?: () => number;
  /** Subgraph events. */
  onSubgraphEvent?: OnSecurityEvent;
  /** The principal each subgraph received, per request. */
  onSubgraphPrincipal?: (subgraph: string, principal: Principal | null) => void;
}

/** The gateway and both subgraphs, running. */
export interface RunningStack {
  readonly gateway: RunningGateway;
  readonly accounts: RunningSubgraph;
  readonly orders: RunningSubgraph;
  stop(): Promise<void>;
}

/** Starts both subgraphs on free ports and the gateway in front of them, in this process. */
export async function startStack(config: StackConfig): Promise<RunningStack> {
  const common = {
    secret: config.secret,
    ...(config.now ? { now: config.now } : {}),
    ...(config.onSubgraphEvent ? { onEvent: config.onSubgraphEvent } : {}),
  };
  const principalOf = (name: string) =>
    config.onSubgraphPrincipal
      ? { onPrincipal: (p: Principal | null) => config.onSubgraphPrincipal!(name, p) }
      : {};
  const accounts = await startSubgraph({ name: 'accounts', ...common, ...principalOf('accounts') });
  const orders = await startSubgraph({ name: 'orders', ...common, ...principalOf('orders') });
  const gateway = await startGateway({
    secret: config.secret,
    security: config.security,
    port: config.port ?? 0,
    subgraphUrls: { accounts: accounts.url, orders: orders.url },
    ...(config.supergraph ? { supergraph: config.supergraph } : {}),
    ...(config.now ? { now: config.now } : {}),
  });
  return {
    gateway,
    accounts,
    orders,
    async stop() {
      await gateway.stop();
      await Promise.all([accounts.stop(), orders.stop()]);
    },
  };
}
