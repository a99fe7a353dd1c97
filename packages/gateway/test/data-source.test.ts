import { createPrincipal } from '@bulwark/core';
import {
  PRINCIPAL_HEADER,
  SignedDataSource,
  createPrincipalSigner,
  createPrincipalVerifier,
} from '@bulwark/gateway';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { describe, expect, it } from 'vitest';

const SECRET = 'data-source-test-secret-of-32-bytes-or-more';
const signer = createPrincipalSigner({ secret: SECRET });
const verifier = createPrincipalVerifier({ secret: SECRET, subgraph: 'orders' });
const ALICE = createPrincipal({ subject: 'u1', scopes: ['orders:write'], roles: ['customer'] });

function processOptions(context: object, headers = new Headers()) {
  const request = {
    query: 'query Q__orders__0 { products { id } }',
    operationName: 'Q__orders__0',
    variables: { first: 2 },
    http: { method: 'POST', url: 'http://orders.invalid/graphql', headers },
  };
  return {
    request,
    context,
    kind: 'incoming operation',
  } as unknown as GraphQLDataSourceProcessOptions;
}

describe('SignedDataSource', () => {
  it('refuses to be built without a signer, a URL or a subgraph name', () => {
    const url = 'http://orders.invalid/graphql';
    expect(() => new SignedDataSource({ url, subgraph: 'orders' } as never)).toThrow(
      new TypeError('`signer` must come from createPrincipalSigner().'),
    );
    expect(() => new SignedDataSource({ url, subgraph: '', signer })).toThrow(
      new TypeError('`subgraph` must be a non-empty string, got "".'),
    );
    expect(
      () => new SignedDataSource({ url: undefined as never, subgraph: 'orders', signer }),
    ).toThrow(new TypeError('`url` must be a non-empty string, got undefined.'));
  });

  it('signs the principal of the context for its subgraph and the request it sends', async () => {
    const source = new SignedDataSource({
      url: 'http://orders.invalid/graphql',
      subgraph: 'orders',
      signer,
    });
    expect(source.apq).toBe(false);
    const options = processOptions({ auth: { principal: ALICE } });
    await source.willSendRequest(options);
    const { query, operationName, variables } = options.request;
    const principal = verifier.verify({
      headers: options.request.http!.headers as unknown as Headers,
      body: JSON.parse(JSON.stringify({ query, operationName, variables })),
    });
    expect(principal).toEqual(ALICE);
  });

  it('replaces a principal header that came from elsewhere', async () => {
    const source = new SignedDataSource({
      url: 'http://orders.invalid/graphql',
      subgraph: 'orders',
      signer,
    });
    const headers = new Headers({ [PRINCIPAL_HEADER]: 'v1.forged.header' });
    const options = processOptions({}, headers);
    await source.willSendRequest(options);
    expect(headers.get(PRINCIPAL_HEADER)).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(headers.get(PRINCIPAL_HEADER)).not.toContain('forged');
    const { query, operationName, variables } = options.request;
    expect(verifier.verify({ headers, body: { query, operationName, variables } })).toBe(null);
  });

  it('reads the principal where getPrincipal says', async () => {
    const source = new SignedDataSource({
      url: 'http://orders.invalid/graphql',
      subgraph: 'orders',
      signer,
      getPrincipal: (context) => (context as { user: typeof ALICE }).user,
    });
    const options = processOptions({ user: ALICE });
    await source.willSendRequest(options);
    const { query, operationName, variables } = options.request;
    expect(
      verifier.verify({
        headers: options.request.http!.headers as unknown as Headers,
        body: { query, operationName, variables },
      })?.subject,
    ).toBe('u1');
  });
});
