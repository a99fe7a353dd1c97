import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { Principal } from '@bulwark/core';
import { connection } from './data.js';
import type {
  CategoryRecord,
  OrderRecord,
  ProductRecord,
  ReviewRecord,
  ShopData,
  StaffRecord,
  UserRecord,
} from './data.js';

/** The GraphQL context of the example server. */
export interface ShopContext {
  data: ShopData;
  auth: { principal: Principal | null };
}

type Args = Record<string, unknown>;
type Resolver<P = unknown> = (parent: P, args: Args, ctx: ShopContext) => unknown;

const notFound = (what: string) =>
  new GraphQLError(`${what} not found.`, { extensions: { code: 'NOT_FOUND' } });

const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO 8601 date-time string.',
  serialize: (v) => (v instanceof Date ? v.toISOString() : String(v)),
  parseValue: (v) => {
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
      throw new TypeError('DateTime must be an ISO 8601 string.');
    return v;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(Date.parse(ast.value)))
      throw new TypeError('DateTime must be an ISO 8601 string.');
    return ast.value;
  },
});

function anyNode(data: ShopData, id: string) {
  return (
    data.users.get(id) ??
    data.staff.get(id) ??
    data.products.get(id) ??
    data.categories.get(id) ??
    data.orders.get(id) ??
    data.reviews.get(id) ??
    null
  );
}

/** The example's resolvers (no security logic here: Bulwark's directives and rules carry it). */
export function shopResolvers() {
  const Query: Record<string, Resolver> = {
    me: (_p, _a, ctx) =>
      ctx.auth.principal
        ? (ctx.data.users.get(ctx.auth.principal.subject) ??
          ctx.data.staff.get(ctx.auth.principal.subject) ??
          null)
        : null,
    node: (_p, a, ctx) => anyNode(ctx.data, String(a['id'])),
    user: (_p, a, ctx) => ctx.data.users.get(String(a['id'])) ?? null,
    account: (_p, a, ctx) =>
      ctx.data.users.get(String(a['id'])) ?? ctx.data.staff.get(String(a['id'])) ?? null,
    users: (_p, a, ctx) => {
      const role = a['role'] as string | undefined;
      const list = [...ctx.data.users.values()].filter((u) => !role || u.role === role);
      return connection(list, a['first'] as number, a['after'] as string | undefined);
    },
    product: (_p, a, ctx) => ctx.data.products.get(String(a['id'])) ?? null,
    products: (_p, a, ctx) => {
      let list = [...ctx.data.products.values()];
      if (a['category']) list = list.filter((p) => p.categoryId === a['category']);
      if (typeof a['search'] === 'string') {
        const q = a['search'].toLowerCase();
        list = list.filter((p) => p.name.toLowerCase().includes(q));
      }
      if (a['sort'] === 'DESC') list.reverse();
      return connection(list, a['first'] as number, a['after'] as string | undefined);
    },
    categories: (_p, _a, ctx) => [...ctx.data.categories.values()],
    search: (_p, a, ctx) => {
      const q = String(a['query']).toLowerCase();
      const hits: (UserRecord | ProductRecord | CategoryRecord)[] = [
        ...[...ctx.data.products.values()].filter((p) => p.name.toLowerCase().includes(q)),
        ...[...ctx.data.categories.values()].filter((c) => c.name.toLowerCase().includes(q)),
        ...[...ctx.data.users.values()].filter((u) => u.handle.includes(q)),
      ];
      return hits.slice(0, Math.max(0, Math.min((a['first'] as number) ?? 10, 50)));
    },
    order: (_p, a, ctx) => ctx.data.orders.get(String(a['id'])) ?? null,
    admin: () => ({}),
  };

  const User: Record<string, Resolver<UserRecord>> = {
    avatarUrl: (u, a) => `https://img.example.com/${u.handle}.png?s=${String(a['size'] ?? 64)}`,
    friends: (u, a, ctx) =>
      connection(
        u.friendIds.map((id) => ctx.data.users.get(id)!).filter(Boolean),
        a['first'] as number,
        a['after'] as string | undefined,
      ),
    orders: (u, a, ctx) => {
      const list = [...ctx.data.orders.values()].filter(
        (o) => o.buyerId === u.id && (!a['status'] || o.status === a['status']),
      );
      return connection(list, a['first'] as number, a['after'] as string | undefined);
    },
    reviews: (u, a, ctx) =>
      [...ctx.data.reviews.values()]
        .filter((r) => r.authorId === u.id)
        .slice(0, (a['first'] as number) ?? 10),
    wishlist: (u, _a, ctx) => u.wishlist.map((id) => ctx.data.products.get(id)!).filter(Boolean),
  };

  const Product: Record<string, Resolver<ProductRecord>> = {
    category: (p, _a, ctx) => ctx.data.categories.get(p.categoryId),
    inStock: (p) => p.inventory > 0,
    images: (p, a) =>
      Array.from({ length: Math.max(0, Math.min((a['first'] as number) ?? 5, 5)) }, (_, i) => ({
        url: `https://img.example.com/${p.sku}-${i}.jpg`,
        width: 800,
        height: 600,
        alt: `${p.name} (${i + 1})`,
      })),
    reviews: (p, a, ctx) =>
      connection(
        [...ctx.data.reviews.values()].filter((r) => r.productId === p.id),
        a['first'] as number,
        a['after'] as string | undefined,
      ),
    related: (p, a, ctx) =>
      [...ctx.data.products.values()]
        .filter((x) => x.categoryId === p.categoryId && x.id !== p.id)
        .slice(0, (a['first'] as number) ?? 5),
  };

  const Category: Record<string, Resolver<CategoryRecord>> = {
    parent: (c, _a, ctx) => (c.parentId ? ctx.data.categories.get(c.parentId) : null),
    children: (c, _a, ctx) => [...ctx.data.categories.values()].filter((x) => x.parentId === c.id),
    products: (c, a, ctx) => {
      const list = [...ctx.data.products.values()].filter((p) => p.categoryId === c.id);
      if (a['sort'] === 'DESC') list.reverse();
      return connection(list, a['first'] as number, a['after'] as string | undefined);
    },
  };

  const Review: Record<string, Resolver<ReviewRecord>> = {
    author: (r, _a, ctx) => ctx.data.users.get(r.authorId),
    product: (r, _a, ctx) => ctx.data.products.get(r.productId),
  };

  const Order: Record<string, Resolver<OrderRecord>> = {
    buyer: (o, _a, ctx) => ctx.data.users.get(o.buyerId),
    total: (o) => ({
      amount: o.items.reduce((s, i) => s + i.unitPrice.amount * i.quantity, 0),
      currency: o.items[0]?.unitPrice.currency ?? 'EUR',
    }),
    items: (o, _a, ctx) =>
      o.items.map((i) => ({ ...i, product: ctx.data.products.get(i.productId) })),
  };

  const AdminArea: Record<string, Resolver> = {
    stats: (_p, _a, ctx) => ({
      users: ctx.data.users.size,
      orders: ctx.data.orders.size,
      revenue: {
        amount: [...ctx.data.orders.values()].reduce(
          (s, o) => s + o.items.reduce((t, i) => t + i.unitPrice.amount * i.quantity, 0),
          0,
        ),
        currency: 'EUR',
      },
    }),
    auditLog: (_p, a, ctx) => ctx.data.audit.slice(-((a['first'] as number) ?? 50)),
    users: (_p, a, ctx) => Query['users']!(undefined, a, ctx),
  };

  const Mutation: Record<string, Resolver> = {
    updateUser: (_p, a, ctx) => {
      const user = ctx.data.users.get(String(a['id']));
      if (!user) throw notFound('User');
      const input = a['input'] as Partial<
        Pick<UserRecord, 'displayName' | 'email' | 'address' | 'role'>
      >;
      if (input.displayName != null) user.displayName = input.displayName;
      if (input.email != null) user.email = input.email;
      if (input.address != null) user.address = input.address;
      if (input.role != null) user.role = input.role;
      ctx.data.audit.push({
        id: ctx.data.nextId('a'),
        at: new Date().toISOString(),
        actor: ctx.auth.principal?.subject ?? 'anonymous',
        action: `updateUser ${user.id}`,
      });
      return user;
    },
    updateUsers: (_p, a, ctx) =>
      (a['inputs'] as Args[]).map((input, i) =>
        Mutation['updateUser']!(undefined, { id: `u${i + 1}`, input }, ctx),
      ),
    placeOrder: (_p, a, ctx) => {
      const principal = ctx.auth.principal;
      const buyer = principal ? ctx.data.users.get(principal.subject) : undefined;
      if (!buyer)
        throw new GraphQLError('Only customers can place orders.', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      const input = a['input'] as {
        items: { productId: string; quantity: number }[];
        shippingAddress?: UserRecord['address'];
      };
      const items = input.items.map((i) => {
        const product = ctx.data.products.get(i.productId);
        if (!product) throw notFound(`Product ${i.productId}`);
        if (!Number.isInteger(i.quantity) || i.quantity < 1 || i.quantity > 100) {
          throw new GraphQLError('Quantity must be between 1 and 100.', {
            extensions: { code: 'BAD_USER_INPUT' },
          });
        }
        return { productId: product.id, quantity: i.quantity, unitPrice: product.price };
      });
      const id = ctx.data.nextId('o');
      const order: OrderRecord = {
        kind: 'Order',
        id,
        number: `2024-${id}`,
        status: 'PENDING',
        buyerId: buyer.id,
        items,
        shippingAddress: input.shippingAddress ?? buyer.address,
        createdAt: new Date().toISOString(),
        paymentReference: `pay_${id}_secret`,
      };
      ctx.data.orders.set(id, order);
      return order;
    },
    addReview: (_p, a, ctx) => {
      const input = a['input'] as {
        productId: string;
        rating: number;
        title?: string;
        body?: string;
      };
      if (!ctx.data.products.has(input.productId)) throw notFound('Product');
      if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
        throw new GraphQLError('Rating must be between 1 and 5.', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      const id = ctx.data.nextId('r');
      const review: ReviewRecord = {
        kind: 'Review',
        id,
        productId: input.productId,
        authorId: ctx.auth.principal?.subject ?? 'u2',
        rating: input.rating,
        title: input.title ?? '',
        body: input.body ?? '',
        createdAt: new Date().toISOString(),
        helpfulVotes: 0,
      };
      ctx.data.reviews.set(id, review);
      return review;
    },
    deleteUser: (_p, a, ctx) => ctx.data.users.delete(String(a['id'])),
  };

  const resolveKind = (obj: { kind: string }) => obj.kind;
  return {
    DateTime,
    Query,
    Mutation,
    User,
    Product,
    Category,
    Review,
    Order,
    AdminArea,
    Node: { __resolveType: resolveKind },
    Account: { __resolveType: resolveKind },
    SearchResult: { __resolveType: resolveKind },
    StaffMember: {} as Record<string, Resolver<StaffRecord>>,
  };
}
