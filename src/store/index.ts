export { openStore, type OpenStoreOptions, type StoreTarget } from './open.js'
export type { KyselyStore } from './kysely-store.js'
export type { StoreLogger } from './logger.js'
export * from './types.js'
