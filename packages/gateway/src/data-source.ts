import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { assertFunction, assertNonEmptyString, principalFromContext } from '@bulwark/core';
import type { PrincipalAccessor } from '@bulwark/core';
import { PRINCIPAL_HEADER } from './envelope.js';
import type { PrincipalSigner } from './signer.js';

/** Options of a {@link SignedDataSource}. */
export interface SignedDataSourceOptions {
  /** The subgraph's URL. */
  url: string;
  /** The subgraph's name in the supergraph (`buildService` receives it): the signature is bound to it. */
  subgraph: string;
  /** From `createPrincipalSigner`. */
  signer: PrincipalSigner;
  /**
   * Reads the verified principal from the gateway's request context.
   * @default principalFromContext (`context.auth.principal`, as `@bulwark/jwt` sets it)
   */
  getPrincipal?: PrincipalAccessor;
}

/**
 * A `RemoteGraphQLDataSource` that sends every subgraph request with the verified principal in
 * the signed `x-bulwark-principal` header (set, never appended: a value copied from a client
 * header is replaced). Health checks and anonymous requests are signed too, with no principal.
 *
 * ```ts
 * new ApolloGateway({
 *   supergraphSdl,
 *   buildService: ({ name, url }) => new SignedDataSource({ url: url!, subgraph: name, signer }),
 * });
 * ```
 *
 * Automatic persisted queries (`apq`) stay off: the signature is bound to the query text.
 * A subclass that overrides `willSendRequest` must call `super.willSendRequest(options)`.
 */
export class SignedDataSource<
  TContext extends Record<string, unknown> = Record<string, unknown>,
> extends RemoteGraphQLDataSource<TContext> {
  /** The subgraph name the signatures are bound to. */
  readonly subgraph: string;
  readonly #signer: PrincipalSigner;
  readonly #getPrincipal: PrincipalAccessor;

  constructor(options: SignedDataSourceOptions) {
    assertNonEmptyString('url', options.url);
    assertNonEmptyString('subgraph', options.subgraph);
    if (!options.signer || typeof options.signer.sign !== 'function')
      throw new TypeError('`signer` must come from createPrincipalSigner().');
    const getPrincipal = options.getPrincipal ?? principalFromContext;
    assertFunction('getPrincipal', getPrincipal);
    super({ url: options.url });
    this.subgraph = options.subgraph;
    this.#signer = options.signer;
    this.#getPrincipal = getPrincipal;
    this.apq = false;
  }

  /** Signs the request; runs before every fetch. */
  override async willSendRequest(options: GraphQLDataSourceProcessOptions<TContext>) {
    const { request } = options;
    const value = this.#signer.sign({
      subgraph: this.subgraph,
      request: {
        query: request.query,
        operationName: request.operationName,
        variables: request.variables,
      },
      principal: this.#getPrincipal(options.context),
    });
    request.http?.headers.set(PRINCIPAL_HEADER, value);
  }
}
