export * from './revocation-list.js';
export * from './rate-limit-store.js';
