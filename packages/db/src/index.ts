export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS, openDatabase, pgClientConfig } from './client.ts';
export type {
  Database,
  OpenOptions,
  PortalPrisma,
  PortalTransaction,
  PostgresDatabase,
  SqliteDatabase,
} from './client.ts';
export { migrateDatabase, providerOf } from './migrate.ts';
