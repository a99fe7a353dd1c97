// Generates the "large realistic" document of the corpus: a storefront page query composed of
// component fragments, as a client with colocated fragments would send it (about 13 KB, 80
// fragments, each fragment spread where a component would render it). Deterministic.
//   node bench/corpus/generate.mjs  → bench/corpus/large.graphql, bench/corpus/medium.graphql
import { writeFileSync } from 'node:fs';

const productFields = ['sku', 'name', 'description', 'inStock', 'rating', 'tags', 'inventory'];
const userFields = ['handle', 'displayName', 'avatarUrl', 'createdAt', 'role'];
const orderFields = ['number', 'status', 'createdAt', 'paymentReference'];
const pick = (list, i, n) => Array.from({ length: n }, (_, k) => list[(i + k) % list.length]);

const frags = [];
// Apollo Client adds __typename to every selection set it sends.
const add = (name, on, body) => frags.push(`fragment ${name} on ${on} {\n  __typename ${body}\n}`);

add('MoneyFields', 'Money', 'amount currency');
add('AddressFields', 'Address', 'line1 line2 city postalCode country');
add('PageInfoFields', 'PageInfo', 'hasNextPage hasPreviousPage startCursor endCursor');
add('ImageFields', 'Image', 'url width height alt');
add('ImageThumb', 'Image', 'url alt');
add('CategoryLink', 'Category', 'id name slug');
add('CategoryWithParent', 'Category', 'id name parent { ...CategoryLink }');
add(
  'CategoryTreeNode',
  'Category',
  'id name slug children { ...CategoryLink children { ...CategoryLink } }',
);
for (let i = 1; i <= 15; i++)
  add(`UserAvatar${i}`, 'User', `id ${pick(userFields, i, 4).join(' ')}`);
for (let i = 1; i <= 5; i++) {
  add(
    `UserProfile${i}`,
    'User',
    `id ${pick(userFields, i, 4).join(' ')} ...UserAvatar${i} address { ...AddressFields }`,
  );
}
for (let i = 1; i <= 10; i++) {
  add(
    `ReviewItem${i}`,
    'Review',
    `id rating title body createdAt helpfulVotes author { ...UserAvatar${((i - 1) % 15) + 1} }`,
  );
}
for (let i = 1; i <= 20; i++) {
  const extra =
    i % 4 === 0 ? ` reviews(first: 2) { nodes { ...ReviewItem${((i - 1) % 10) + 1} } }` : '';
  add(
    `ProductCard${i}`,
    'Product',
    `id ${pick(productFields, i, 6).join(' ')} price { ...MoneyFields } category { ...CategoryLink } images(first: 1) { ...ImageThumb }${extra}`,
  );
}
for (let i = 1; i <= 5; i++)
  add(
    `OrderItemRow${i}`,
    'OrderItem',
    `quantity unitPrice { ...MoneyFields } product { ...ProductCard${i} }`,
  );
for (let i = 1; i <= 10; i++) {
  add(
    `OrderRow${i}`,
    'Order',
    `id ${pick(orderFields, i, 3).join(' ')} shippingAddress { ...AddressFields } total { ...MoneyFields } buyer { ...UserAvatar${i + 5} } items { ...OrderItemRow${((i - 1) % 5) + 1} }`,
  );
}
for (let i = 1; i <= 3; i++)
  add(
    `StaffCard${i}`,
    'StaffMember',
    `id handle displayName department${i === 3 ? ' phoneExtension' : ''}`,
  );
for (let i = 1; i <= 4; i++) {
  add(
    `SearchHit${i}`,
    'SearchResult',
    `__typename ... on Product { ...ProductCard${i + 10} } ... on User { ...UserAvatar${i + 5} } ... on Category { ...CategoryWithParent }`,
  );
}

const spreads = (prefix, from, to) =>
  Array.from({ length: to - from + 1 }, (_, k) => `...${prefix}${from + k}`).join(' ');

const op = `query StorefrontPage($productsFirst: Int = 12, $searchTerm: String! = "lamp") {
  me {
    ${spreads('UserProfile', 1, 5)}
    orders(first: 5) { totalCount pageInfo { ...PageInfoFields } nodes { ${spreads('OrderRow', 1, 10)} } }
    friends(first: 6) { nodes { ${spreads('UserAvatar', 1, 15)} } }
    reviews(first: 3) { ${spreads('ReviewItem', 1, 10)} }
  }
  featured: products(first: 4, sort: DESC) { nodes { ${spreads('ProductCard', 1, 20)} } }
  products(first: $productsFirst) {
    totalCount
    pageInfo { ...PageInfoFields }
    edges { cursor node { ${spreads('ProductCard', 1, 10)} gallery: images(first: 3) { ...ImageFields } } }
  }
  categories { ...CategoryTreeNode ...CategoryWithParent }
  search(query: $searchTerm, first: 5) { ${spreads('SearchHit', 1, 4)} }
  support: account(id: "s1") { id ... on StaffMember { ${spreads('StaffCard', 1, 3)} } }
}`;

const large = `${op}\n\n${frags.join('\n\n')}\n`;
if (frags.length !== 80) throw new Error(`expected 80 fragments, got ${frags.length}`);
writeFileSync(new URL('./large.graphql', import.meta.url), large);

// The medium document: the same page with a fifth of the components (about 2 KB).
const mediumFrags = frags.filter((f) =>
  /fragment (MoneyFields|AddressFields|PageInfoFields|ImageThumb|ImageFields|CategoryLink|CategoryWithParent|UserAvatar1|UserAvatar2|UserAvatar6|ProductCard1|ProductCard2|ReviewItem1|OrderRow1|OrderItemRow1) /.test(
    f,
  ),
);
const medium = `query StorefrontLite {
  me { ...UserAvatar1 orders(first: 3) { nodes { ...OrderRow1 } } reviews(first: 3) { ...ReviewItem1 } }
  products(first: 8) { pageInfo { ...PageInfoFields } nodes { ...ProductCard1 ...ProductCard2 gallery: images(first: 2) { ...ImageFields } } }
  categories { ...CategoryWithParent }
  account(id: "u2") { id handle ... on User { ...UserAvatar2 address { ...AddressFields } } }
}

${mediumFrags.join('\n\n')}
`;
writeFileSync(new URL('./medium.graphql', import.meta.url), medium);
console.log(
  `large.graphql: ${large.length} bytes, ${frags.length} fragments; medium.graphql: ${medium.length} bytes`,
);
