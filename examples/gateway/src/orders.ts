import { AUTHZ_FEDERATION_SDL } from '@bulwark/authz';
import { principalFromContext } from '@bulwark/core';
import { GraphQLError } from 'graphql';
import type { DocumentNode } from 'graphql';
import { gql } from 'graphql-tag';
import { FEDERATION_LINK } from './accounts.js';

/**
 * The orders subgraph: products, orders, and `User.orders` added to the accounts subgraph's
 * `User` entity, guarded by an owner rule that only this subgraph can decide (it resolves the
 * user's orders).
 */
export const ordersTypeDefs: DocumentNode = gql`
  ${FEDERATION_LINK}
  ${AUTHZ_FEDERATION_SDL}

  type Query {
    "The catalog: anyone."
    products(first: Int = 20): [Product!]!
      @public
      @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
    product(id: ID!): Product @public
  }

  type Mutation {
    placeOrder(productId: ID!, quantity: Int!): Order!
      @requiresScopes(scopes: [["orders:write"]])
      @cost(weight: 10)
  }

  type Product @key(fields: "id") @public {
    id: ID!
    name: String!
    price: Float!
    "Live inventory: admins only, and an expensive lookup."
    stock: Int! @policy(policies: [["admin"]]) @cost(weight: 5)
  }

  type Order @key(fields: "id") {
    id: ID!
    status: String!
    total: Float!
    items: [OrderItem!]! @listSize(assumedSize: 5)
  }

  type OrderItem {
    product: Product!
    quantity: Int!
  }

  type User @key(fields: "id") {
    id: ID!
    "The user's own orders, or any user's for an admin."
    orders(first: Int = 10): [Order!]
      @policy(policies: [["owner"], ["admin"]])
      @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
  }
`;

interface ProductRecord {
  readonly id: string;
  readonly name: string;
  readonly price: number;
  stock: number;
}

interface OrderRecord {
  readonly id: string;
  readonly buyerId: string;
  readonly status: string;
  readonly items: readonly { readonly productId: string; readonly quantity: number }[];
}

/** The orders subgraph's data: a fresh copy per subgraph instance (mutations change it). */
export class OrdersData {
  readonly products: ProductRecord[] = [
    { id: 'p1', name: 'Keyboard', price: 49.5, stock: 12 },
    { id: 'p2', name: 'Mouse', price: 19.9, stock: 40 },
    { id: 'p3', name: 'Monitor', price: 189, stock: 3 },
  ];
  readonly orders: OrderRecord[] = [
    { id: 'o1', buyerId: 'u1', status: 'shipped', items: [{ productId: 'p1', quantity: 1 }] },
    { id: 'o2', buyerId: 'u1', status: 'open', items: [{ productId: 'p2', quantity: 2 }] },
    { id: 'o3', buyerId: 'u2', status: 'open', items: [{ productId: 'p3', quantity: 1 }] },
  ];

  product(id: string): ProductRecord | null {
    return this.products.find((p) => p.id === id) ?? null;
  }

  total(order: OrderRecord): number {
    let sum = 0;
    for (const i of order.items) sum += (this.product(i.productId)?.price ?? 0) * i.quantity;
    return Math.round(sum * 100) / 100;
  }
}

/** Resolvers of the orders subgraph over `data`. */
export function ordersResolvers(data: OrdersData) {
  return {
    Query: {
      products: (_: unknown, { first }: { first?: number | null }) =>
        data.products.slice(0, Math.max(0, first ?? 20)),
      product: (_: unknown, { id }: { id: string }) => data.product(id),
    },
    Mutation: {
      placeOrder: (
        _: unknown,
        { productId, quantity }: { productId: string; quantity: number },
        context: unknown,
      ) => {
        const product = data.product(productId);
        if (!product || quantity < 1 || quantity > product.stock)
          throw new GraphQLError('The product is unknown or not available in this quantity.', {
            extensions: { code: 'BAD_USER_INPUT' },
          });
        product.stock -= quantity;
        const order: OrderRecord = {
          id: `o${data.orders.length + 1}`,
          // The resolver runs only for a principal: the rule requires a scope.
          buyerId: principalFromContext(context)!.subject,
          status: 'open',
          items: [{ productId, quantity }],
        };
        data.orders.push(order);
        return order;
      },
    },
    Product: {
      __resolveReference: (ref: { id: string }) => data.product(ref.id),
    },
    Order: {
      __resolveReference: (ref: { id: string }) => data.orders.find((o) => o.id === ref.id) ?? null,
      total: (order: OrderRecord) => data.total(order),
      items: (order: OrderRecord) =>
        order.items.map((i) => ({ product: data.product(i.productId), quantity: i.quantity })),
    },
    User: {
      orders: (user: { id: string }, { first }: { first?: number | null }) =>
        data.orders.filter((o) => o.buyerId === user.id).slice(0, Math.max(0, first ?? 10)),
    },
  };
}
