import { AUTHZ_FEDERATION_SDL } from '@bulwark/authz';
import { principalFromContext } from '@bulwark/core';
import { gql } from 'graphql-tag';
import type { DocumentNode } from 'graphql';

/** The federation link every subgraph of the example uses (2.9: `@cost` and `@listSize`). */
export const FEDERATION_LINK = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@composeDirective", "@cost", "@listSize"])`;

/**
 * The accounts subgraph: users and their roles. Bulwark's directives come in as a `@link`ed
 * custom spec with `@composeDirective`, so they reach the supergraph where the gateway reads them.
 */
export const accountsTypeDefs: DocumentNode = gql`
  ${FEDERATION_LINK}
  ${AUTHZ_FEDERATION_SDL}

  type Query {
    "The caller."
    me: User @authenticated
    "One user."
    user(id: ID!): User @authenticated
    "Every user: staff with the users:read scope only."
    users(first: Int = 10): [User!]!
      @requiresScopes(scopes: [["users:read"]])
      @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
  }

  type User @key(fields: "id") {
    id: ID!
    name: String!
    "The user's own, or an admin's."
    email: String! @policy(policies: [["owner"], ["admin"]])
    roles: [Role!]! @policy(policies: [["owner"], ["admin"]]) @listSize(assumedSize: 3)
    "Served by a legacy service that is down: its internal error is masked at the gateway."
    loyaltyPoints: Int
  }

  type Role {
    name: String!
    permissions: [String!]! @listSize(assumedSize: 5)
  }
`;

/** A user of the example. */
export interface UserRecord {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly roles: readonly string[];
}

/** The demo users: alice and bob are customers, carol is an admin. */
export const USERS: readonly UserRecord[] = Object.freeze([
  { id: 'u1', name: 'Alice', email: 'alice@example.com', roles: ['customer'] },
  { id: 'u2', name: 'Bob', email: 'bob@example.com', roles: ['customer'] },
  { id: 'u3', name: 'Carol', email: 'carol@example.com', roles: ['admin'] },
]);

const PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  customer: ['orders:own'],
  admin: ['orders:any', 'users:any', 'stock:read'],
};

const byId = (id: string) => USERS.find((u) => u.id === id) ?? null;

/** Resolvers of the accounts subgraph. */
export const accountsResolvers = {
  Query: {
    me: (_: unknown, __: unknown, context: unknown) => {
      const principal = principalFromContext(context);
      return principal ? byId(principal.subject) : null;
    },
    user: (_: unknown, { id }: { id: string }) => byId(id),
    users: (_: unknown, { first }: { first?: number | null }) =>
      USERS.slice(0, Math.max(0, first ?? 10)),
  },
  User: {
    __resolveReference: (ref: { id: string }) => byId(ref.id),
    roles: (user: UserRecord) =>
      user.roles.map((name) => ({ name, permissions: PERMISSIONS[name] ?? [] })),
    loyaltyPoints: () => {
      throw new Error(
        'loyalty-svc: connect ECONNREFUSED 10.20.0.7:7001 (/srv/accounts/loyalty.js:42)',
      );
    },
  },
};
