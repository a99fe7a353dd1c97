/**
 * The example's in-memory data: a small shop with customers, staff, products in categories,
 * orders owned by their buyers and reviews. Deterministic, so tests can name ids.
 */

export type Role = 'CUSTOMER' | 'SUPPORT' | 'ADMIN';

export interface Address {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface UserRecord {
  kind: 'User';
  id: string;
  handle: string;
  displayName: string;
  email: string;
  role: Role;
  address: Address;
  /** Never exposed by the schema: there is no field for it. */
  passwordHash: string;
  createdAt: string;
  friendIds: string[];
  wishlist: string[];
}

export interface StaffRecord {
  kind: 'StaffMember';
  id: string;
  handle: string;
  displayName: string;
  email: string;
  role: Role;
  department: string;
  phoneExtension: string;
  /** Never exposed by the schema: there is no field for it. */
  passwordHash: string;
}

export interface Money {
  amount: number;
  currency: string;
}

export interface CategoryRecord {
  kind: 'Category';
  id: string;
  name: string;
  slug: string;
  parentId: string | null;
}

export interface ProductRecord {
  kind: 'Product';
  id: string;
  sku: string;
  name: string;
  description: string;
  price: Money;
  categoryId: string;
  tags: string[];
  inventory: number;
  rating: number;
}

export interface ReviewRecord {
  kind: 'Review';
  id: string;
  productId: string;
  authorId: string;
  rating: number;
  title: string;
  body: string;
  createdAt: string;
  helpfulVotes: number;
}

export interface OrderRecord {
  kind: 'Order';
  id: string;
  number: string;
  status: 'PENDING' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
  buyerId: string;
  items: { productId: string; quantity: number; unitPrice: Money }[];
  shippingAddress: Address;
  createdAt: string;
  paymentReference: string;
}

const eur = (amount: number): Money => ({ amount, currency: 'EUR' });

/** A mutable store of the example's records. */
export class ShopData {
  readonly users = new Map<string, UserRecord>();
  readonly staff = new Map<string, StaffRecord>();
  readonly categories = new Map<string, CategoryRecord>();
  readonly products = new Map<string, ProductRecord>();
  readonly reviews = new Map<string, ReviewRecord>();
  readonly orders = new Map<string, OrderRecord>();
  readonly audit: { id: string; at: string; actor: string; action: string }[] = [];
  private sequence = 1000;

  /**
   * @param passwordHashes password hashes by account id (`u1`..`u8`, `s1`); an account without
   * one has the hash `'!'`, which no password verifies.
   */
  constructor(passwordHashes: Readonly<Record<string, string>> = {}) {
    const city = ['Paris', 'Lyon', 'Berlin', 'Madrid', 'Lisbon'];
    const names = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Donald', 'Frances', 'John'];
    names.forEach((name, i) => {
      const id = `u${i + 1}`;
      this.users.set(id, {
        kind: 'User',
        id,
        handle: name.toLowerCase(),
        displayName: name,
        email: `${name.toLowerCase()}@example.com`,
        role: i === 0 ? 'ADMIN' : 'CUSTOMER',
        address: {
          line1: `${i + 1} Main Street`,
          city: city[i % city.length]!,
          postalCode: `7500${i}`,
          country: 'FR',
        },
        passwordHash: passwordHashes[id] ?? '!',
        createdAt: new Date(Date.UTC(2024, 0, i + 1)).toISOString(),
        friendIds: names
          .map((_, j) => `u${j + 1}`)
          .filter((f) => f !== id)
          .slice(0, 4),
        wishlist: [`p${(i % 6) + 1}`, `p${((i + 2) % 6) + 1}`],
      });
    });
    this.staff.set('s1', {
      kind: 'StaffMember',
      id: 's1',
      handle: 'support',
      displayName: 'Sam Support',
      email: 'support@example.com',
      role: 'SUPPORT',
      department: 'Customer care',
      phoneExtension: '4242',
      passwordHash: passwordHashes['s1'] ?? '!',
    });
    const cats: [string, string, string | null][] = [
      ['c1', 'Home', null],
      ['c2', 'Lighting', 'c1'],
      ['c3', 'Kitchen', 'c1'],
      ['c4', 'Books', null],
    ];
    for (const [id, name, parentId] of cats) {
      this.categories.set(id, { kind: 'Category', id, name, slug: name.toLowerCase(), parentId });
    }
    const products: [string, string, number, string][] = [
      ['Desk lamp', 'Lighting', 39, 'c2'],
      ['Floor lamp', 'Lighting', 89, 'c2'],
      ['Kettle', 'Kitchen', 45, 'c3'],
      ['Chef knife', 'Kitchen', 79, 'c3'],
      ['SICP', 'Books', 55, 'c4'],
      ['TAOCP', 'Books', 199, 'c4'],
    ];
    products.forEach(([name, tag, price, categoryId], i) => {
      const id = `p${i + 1}`;
      this.products.set(id, {
        kind: 'Product',
        id,
        sku: `SKU-${1000 + i}`,
        name,
        description: `A fine ${name.toLowerCase()}.`,
        price: eur(price),
        categoryId,
        tags: [tag.toLowerCase()],
        inventory: 10 + i,
        rating: 3 + (i % 3),
      });
    });
    let r = 1;
    for (const p of this.products.values()) {
      for (const authorId of ['u2', 'u3']) {
        const id = `r${r++}`;
        this.reviews.set(id, {
          kind: 'Review',
          id,
          productId: p.id,
          authorId,
          rating: 4,
          title: `About ${p.name}`,
          body: 'Does what it says.',
          createdAt: new Date(Date.UTC(2024, 2, r)).toISOString(),
          helpfulVotes: r % 5,
        });
      }
    }
    ['u1', 'u2', 'u2', 'u3'].forEach((buyerId, i) => {
      const id = `o${i + 1}`;
      const product = this.products.get(`p${i + 1}`)!;
      this.orders.set(id, {
        kind: 'Order',
        id,
        number: `2024-${String(i + 1).padStart(4, '0')}`,
        status: 'PAID',
        buyerId,
        items: [{ productId: product.id, quantity: 1, unitPrice: product.price }],
        shippingAddress: this.users.get(buyerId)!.address,
        createdAt: new Date(Date.UTC(2024, 3, i + 1)).toISOString(),
        paymentReference: `pay_${id}_secret`,
      });
    });
  }

  /** A fresh id for a new record. */
  nextId(prefix: string): string {
    return `${prefix}${++this.sequence}`;
  }

  userByEmail(email: string): UserRecord | undefined {
    for (const u of this.users.values()) if (u.email === email) return u;
    return undefined;
  }

  /** The account (customer or staff) with this email, compared case-insensitively. */
  accountByEmail(email: string): UserRecord | StaffRecord | undefined {
    const wanted = email.trim().toLowerCase();
    for (const u of this.users.values()) if (u.email.toLowerCase() === wanted) return u;
    for (const s of this.staff.values()) if (s.email.toLowerCase() === wanted) return s;
    return undefined;
  }

  /** The account (customer or staff) with this id. */
  account(id: string): UserRecord | StaffRecord | undefined {
    return this.users.get(id) ?? this.staff.get(id);
  }
}

/** A Relay-style connection over a list, with `first` (clamped at 0..100) and an opaque cursor. */
export function connection<T extends { id: string }>(
  items: readonly T[],
  first: number | null | undefined,
  after?: string | null,
) {
  const size = Math.max(0, Math.min(first ?? 20, 100));
  let start = 0;
  if (after) {
    const i = items.findIndex((x) => Buffer.from(x.id).toString('base64url') === after);
    start = i >= 0 ? i + 1 : items.length;
  }
  const slice = items.slice(start, start + size);
  const edges = slice.map((node) => ({ cursor: Buffer.from(node.id).toString('base64url'), node }));
  return {
    edges,
    nodes: slice,
    totalCount: items.length,
    pageInfo: {
      hasNextPage: start + size < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
