export * from './errors.js';
export * from './principal.js';
export * from './events.js';
export * from './options.js';
export * from './duration.js';
export * from './stores.js';
export * from './analysis/index.js';
