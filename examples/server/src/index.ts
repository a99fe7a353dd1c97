export { createServer } from './server.js';
export type { RunningServer, ServerConfig } from './server.js';
export { ShopData, connection } from './data.js';
export { shopResolvers } from './resolvers.js';
export type { ShopContext } from './resolvers.js';
export { shopTypeDefs } from './schema.js';
