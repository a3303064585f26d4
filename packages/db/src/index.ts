export { openDatabase } from './client.ts';
export type {
  Database,
  OpenOptions,
  PortalPrisma,
  PortalTransaction,
  PostgresDatabase,
  SqliteDatabase,
} from './client.ts';
export { migrateDatabase, providerOf } from './migrate.ts';
