import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { ForbiddenError, UnauthenticatedError, emitEvent, hasRole } from '@bulwark/core';
import type { OnSecurityEvent, Principal } from '@bulwark/core';
import { connection } from './data.js';
import { verifyPassword } from './passwords.js';
import type { TokenService } from './tokens.js';
import type {
  CategoryRecord,
  OrderRecord,
  ProductRecord,
  ReviewRecord,
  ShopData,
  StaffRecord,
  UserRecord,
} from './data.js';

/** What the resolvers need besides the data: sessions and the login jail. */
export interface ShopServices {
  tokens: TokenService;
  /** Counts a wrong password against the login jail (`limiter.reportFailure`); none when rate limits are off. */
  reportFailure?(context: ShopContext, info: GraphQLResolveInfo): Promise<void>;
  /** Receives the resolvers' security events (login failures, refresh-token reuse, logout). */
  onEvent?: OnSecurityEvent;
  /** The clock, ms since the epoch. */
  now(): number;
}

/** The GraphQL context of the example server. */
export interface ShopContext {
  data: ShopData;
  readonly auth: { readonly principal: Principal | null };
  /** The client address (the socket's, or what a trusted proxy reports). */
  readonly clientIp: string | undefined;
  services: ShopServices;
}

type Args = Record<string, unknown>;
type Resolver<P = unknown> = (
  parent: P,
  args: Args,
  ctx: ShopContext,
  info: GraphQLResolveInfo,
) => unknown;

/** A client error: 400 with `BAD_USER_INPUT` (Apollo applies `extensions.http`). */
export const badInput = (message: string) =>
  new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400, headers: new Map() } },
  });

const notFound = (what: string) =>
  new GraphQLError(`${what} not found.`, {
    extensions: { code: 'NOT_FOUND', http: { status: 404, headers: new Map() } },
  });

const isAdmin = (p: Principal | null) => hasRole(p, 'admin');

/** Checks a string argument's length: attackers send megabytes where a name is expected. */
function text(value: unknown, name: string, max: number): string {
  const s = String(value);
  if (s.length > max) throw badInput(`"${name}" is longer than ${max} characters.`);
  return s;
}

/** Clamps a page size: negative or huge `first` values never reach a slice. */
const clamp = (value: unknown, fallback: number, max: number) =>
  Math.max(0, Math.min(typeof value === 'number' ? value : fallback, max));

const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO 8601 date-time string.',
  serialize: (v) => (v instanceof Date ? v.toISOString() : String(v)),
  parseValue: (v) => {
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
      throw new GraphQLError('DateTime must be an ISO 8601 string.');
    return v;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(Date.parse(ast.value)))
      throw new GraphQLError('DateTime must be an ISO 8601 string.');
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

const MAX_PASSWORD = 1024;
const MAX_EMAIL = 254;
const INVALID_CREDENTIALS = 'Invalid email or password.';
const INVALID_REFRESH = 'The refresh token is not valid.';

/** The example's resolvers: authorization is in the schema's directives; these check the rest. */
export function shopResolvers() {
  const Query: Record<string, Resolver> = {
    me: (_p, _a, ctx) =>
      ctx.auth.principal ? (ctx.data.users.get(ctx.auth.principal.subject) ?? null) : null,
    viewer: (_p, _a, ctx) =>
      ctx.auth.principal ? (ctx.data.account(ctx.auth.principal.subject) ?? null) : null,
    node: (_p, a, ctx) => anyNode(ctx.data, String(a['id'])),
    user: (_p, a, ctx) => ctx.data.users.get(String(a['id'])) ?? null,
    account: (_p, a, ctx) => ctx.data.account(String(a['id'])) ?? null,
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
        const q = text(a['search'], 'search', 100).toLowerCase();
        list = list.filter((p) => p.name.toLowerCase().includes(q));
      }
      if (a['sort'] === 'DESC') list.reverse();
      return connection(list, a['first'] as number, a['after'] as string | undefined);
    },
    categories: (_p, _a, ctx) => [...ctx.data.categories.values()],
    search: (_p, a, ctx) => {
      const q = text(a['query'], 'query', 100).toLowerCase();
      const hits: (UserRecord | ProductRecord | CategoryRecord)[] = [
        ...[...ctx.data.products.values()].filter((p) => p.name.toLowerCase().includes(q)),
        ...[...ctx.data.categories.values()].filter((c) => c.name.toLowerCase().includes(q)),
        ...[...ctx.data.users.values()].filter((u) => u.handle.includes(q)),
      ];
      return hits.slice(0, clamp(a['first'], 10, 50));
    },
    order: (_p, a, ctx) => ctx.data.orders.get(String(a['id'])) ?? null,
    admin: () => ({}),
  };

  const User: Record<string, Resolver<UserRecord>> = {
    avatarUrl: (u, a) =>
      `https://img.example.com/${u.handle}.png?s=${Math.max(16, clamp(a['size'], 64, 512))}`,
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
        .slice(0, clamp(a['first'], 10, 100)),
    wishlist: (u, _a, ctx) => u.wishlist.map((id) => ctx.data.products.get(id)!).filter(Boolean),
  };

  const Product: Record<string, Resolver<ProductRecord>> = {
    category: (p, _a, ctx) => ctx.data.categories.get(p.categoryId),
    inStock: (p) => p.inventory > 0,
    images: (p, a) =>
      Array.from({ length: clamp(a['first'], 5, 5) }, (_, i) => ({
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
        .slice(0, clamp(a['first'], 5, 100)),
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
    auditLog: (_p, a, ctx) => {
      const first = clamp(a['first'], 50, 100);
      return first === 0 ? [] : ctx.data.audit.slice(-first);
    },
    users: (p, a, ctx, info) => Query['users']!(p, a, ctx, info),
  };

  const audit = (ctx: ShopContext, action: string) =>
    ctx.data.audit.push({
      id: ctx.data.nextId('a'),
      at: new Date(ctx.services.now()).toISOString(),
      actor: ctx.auth.principal?.subject ?? 'anonymous',
      action,
    });

  function applyUpdate(ctx: ShopContext, user: UserRecord, input: Args): UserRecord {
    const update = input as Partial<Pick<UserRecord, 'displayName' | 'email' | 'address' | 'role'>>;
    if (update.displayName != null) {
      const name = text(update.displayName, 'displayName', 64).trim();
      if (name.length === 0) throw badInput('"displayName" must not be empty.');
      user.displayName = name;
    }
    if (update.email != null) {
      const email = text(update.email, 'email', MAX_EMAIL).trim();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
        throw badInput('"email" is not an email address.');
      const other = ctx.data.accountByEmail(email);
      if (other && other.id !== user.id) throw badInput('"email" is already in use.');
      user.email = email;
    }
    if (update.address != null) {
      for (const [k, v] of Object.entries(update.address)) text(v, `address.${k}`, 200);
      user.address = update.address;
    }
    if (update.role != null) user.role = update.role;
    audit(ctx, `updateUser ${user.id}`);
    return user;
  }

  async function session(ctx: ShopContext, account: UserRecord | StaffRecord) {
    const tokens = await ctx.services.tokens.issue({ id: account.id, role: account.role });
    return { ...tokens, user: account.kind === 'User' ? account : null, account };
  }

  const Mutation: Record<string, Resolver> = {
    login: async (_p, a, ctx, info) => {
      const email = String(a['email']);
      const password = String(a['password']);
      if (email.length > MAX_EMAIL || password.length > MAX_PASSWORD) {
        throw badInput('The email or the password is too long.');
      }
      const account = ctx.data.accountByEmail(email);
      const valid = await verifyPassword(password, account?.passwordHash);
      if (!account || !valid) {
        await ctx.services.reportFailure?.(ctx, info);
        emitEvent(ctx.services.onEvent, {
          source: 'app',
          outcome: 'rejected',
          code: 'LOGIN_FAILED',
          reason: account ? 'Wrong password.' : 'No account has this email.',
          subject: account?.id,
          detail: { clientIp: ctx.clientIp },
        });
        throw new UnauthenticatedError(INVALID_CREDENTIALS);
      }
      return session(ctx, account);
    },
    refreshToken: async (_p, a, ctx) => {
      const token = String(a['refreshToken']);
      const result =
        token.length > 128
          ? ({ ok: false, reason: 'unknown' } as const)
          : await ctx.services.tokens.refresh(token, (id) => ctx.data.account(id));
      if (!result.ok) {
        emitEvent(ctx.services.onEvent, {
          source: 'app',
          outcome: 'rejected',
          code: result.reason === 'reused' ? 'REFRESH_TOKEN_REUSED' : 'REFRESH_TOKEN_INVALID',
          reason:
            result.reason === 'reused'
              ? 'A spent refresh token was presented again: its session is revoked.'
              : `The refresh token is ${result.reason}.`,
          subject: 'accountId' in result ? result.accountId : undefined,
          detail: { reason: result.reason, clientIp: ctx.clientIp },
        });
        throw new UnauthenticatedError(INVALID_REFRESH);
      }
      const account = ctx.data.account(result.subject.id)!;
      return { ...result.tokens, user: account.kind === 'User' ? account : null, account };
    },
    logout: async (_p, _a, ctx) => {
      const principal = ctx.auth.principal;
      if (!principal) throw new UnauthenticatedError('The request has no valid access token.');
      await ctx.services.tokens.logout(principal);
      emitEvent(ctx.services.onEvent, {
        source: 'app',
        outcome: 'flagged',
        code: 'LOGOUT',
        reason: 'The session was ended: its tokens are revoked.',
        subject: principal.subject,
      });
      return true;
    },
    updateUser: (_p, a, ctx) => {
      const id = String(a['id']);
      const principal = ctx.auth.principal;
      // BOLA: decided before the lookup, so a refusal does not tell which ids exist.
      if (!principal || (principal.subject !== id && !isAdmin(principal))) {
        throw new ForbiddenError('Access denied to "updateUser".', {
          extensions: { deniedPaths: ['updateUser'] },
        });
      }
      const user = ctx.data.users.get(id);
      if (!user) throw notFound('User');
      return applyUpdate(ctx, user, a['input'] as Args);
    },
    updateUsers: (_p, a, ctx) => {
      const inputs = a['inputs'] as Args[];
      if (inputs.length > ctx.data.users.size) throw badInput('Too many inputs.');
      return inputs.map((input, i) => applyUpdate(ctx, ctx.data.users.get(`u${i + 1}`)!, input));
    },
    placeOrder: (_p, a, ctx) => {
      const principal = ctx.auth.principal;
      const buyer = principal ? ctx.data.users.get(principal.subject) : undefined;
      if (!buyer) {
        throw new ForbiddenError('Only customers can place orders.', {
          extensions: { deniedPaths: ['placeOrder'] },
        });
      }
      const input = a['input'] as {
        items: { productId: string; quantity: number }[];
        shippingAddress?: UserRecord['address'];
      };
      if (input.items.length === 0 || input.items.length > 50) {
        throw badInput('An order holds 1 to 50 items.');
      }
      const items = input.items.map((i) => {
        const product = ctx.data.products.get(i.productId);
        if (!product)
          throw badInput(`Product "${text(i.productId, 'productId', 64)}" does not exist.`);
        if (!Number.isInteger(i.quantity) || i.quantity < 1 || i.quantity > 100) {
          throw badInput('Quantity must be between 1 and 100.');
        }
        return { productId: product.id, quantity: i.quantity, unitPrice: product.price };
      });
      if (input.shippingAddress) {
        for (const [k, v] of Object.entries(input.shippingAddress)) text(v, `address.${k}`, 200);
      }
      const id = ctx.data.nextId('o');
      const order: OrderRecord = {
        kind: 'Order',
        id,
        number: `2024-${id}`,
        status: 'PENDING',
        buyerId: buyer.id,
        items,
        shippingAddress: input.shippingAddress ?? buyer.address,
        createdAt: new Date(ctx.services.now()).toISOString(),
        paymentReference: `pay_${id}_secret`,
      };
      ctx.data.orders.set(id, order);
      return order;
    },
    addReview: (_p, a, ctx) => {
      const principal = ctx.auth.principal;
      const author = principal ? ctx.data.users.get(principal.subject) : undefined;
      if (!author) {
        throw new ForbiddenError('Only customers can review products.', {
          extensions: { deniedPaths: ['addReview'] },
        });
      }
      const input = a['input'] as {
        productId: string;
        rating: number;
        title?: string;
        body?: string;
      };
      if (!ctx.data.products.has(input.productId)) throw badInput('The product does not exist.');
      if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
        throw badInput('Rating must be between 1 and 5.');
      }
      const id = ctx.data.nextId('r');
      const review: ReviewRecord = {
        kind: 'Review',
        id,
        productId: input.productId,
        authorId: author.id,
        rating: input.rating,
        title: text(input.title ?? '', 'title', 120),
        body: text(input.body ?? '', 'body', 4000),
        createdAt: new Date(ctx.services.now()).toISOString(),
        helpfulVotes: 0,
      };
      ctx.data.reviews.set(id, review);
      return review;
    },
    deleteUser: (_p, a, ctx) => {
      const deleted = ctx.data.users.delete(String(a['id']));
      if (deleted) audit(ctx, `deleteUser ${String(a['id'])}`);
      return deleted;
    },
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
  };
}

/** The resolver map's type. */
export type ShopResolvers = ReturnType<typeof shopResolvers>;
