import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { BACKSTOP_CHECKPOINT_PAGES, startCheckpointer } from './checkpointer.ts';
import { PrismaClient as SqlitePrismaClient, type Prisma } from '../generated/sqlite/client.ts';
import { PrismaClient as PostgresPrismaClient } from '../generated/postgres/client.ts';
import { providerOf } from './migrate.ts';

/** Both clients come from one model file, so one type serves both. */
export type PortalPrisma = InstanceType<typeof SqlitePrismaClient>;
/** What an interactive transaction's callback receives. */
export type PortalTransaction = Prisma.TransactionClient;

export interface SqliteDatabase {
  provider: 'sqlite';
  prisma: PortalPrisma;
  /** The same connection Prisma uses: hot paths run prepared statements on it. */
  sqlite: BetterSqlite3.Database;
  close(): Promise<void>;
}

export interface PostgresDatabase {
  provider: 'postgresql';
  prisma: PortalPrisma;
  /** The pool Prisma uses, shared with the hot paths' raw queries. */
  pool: pg.Pool;
  close(): Promise<void>;
}

export type Database = SqliteDatabase | PostgresDatabase;

export interface OpenOptions {
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /**
   * The longest any one statement may run (DB_STATEMENT_TIMEOUT_MS, default 5000):
   * PostgreSQL's statement_timeout, plus a client-side limit a little longer for a
   * server that no longer answers at all; SQLite's busy timeout (how long a write
   * waits for another connection's lock).
   */
  statementTimeoutMs?: number;
  /**
   * The longest opening a PostgreSQL connection may take (DB_CONNECT_TIMEOUT_MS, default 5000),
   * which is also how long a request waits for a free connection of the pool.
   */
  connectTimeoutMs?: number;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Room for the server's own statement_timeout error to arrive before the client gives up. */
const CLIENT_GRACE_MS = 1000;

/** Picks the client by URL: `file:` → SQLite, `postgres(ql)://` → PostgreSQL. */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  return providerOf(url) === 'sqlite' ? openSqlite(url, options) : Promise.resolve(openPostgres(url, options));
}

// One connection for Prisma and raw statements: a second connection to the same
// file would turn Prisma's plain BEGIN into SQLITE_BUSY under concurrent writes.
async function openSqlite(url: string, options: OpenOptions): Promise<SqliteDatabase> {
  const file = url.slice('file:'.length);
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const busyMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const factory = new PrismaBetterSqlite3({ url, timeout: busyMs }, { timestampFormat: 'unixepoch-ms' });
  let connection: BetterSqlite3.Database | undefined;
  const capturing = {
    provider: 'sqlite' as const,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect();
      connection = (adapter as unknown as { client: BetterSqlite3.Database }).client;
      return adapter;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
  const prisma = new SqlitePrismaClient({ adapter: capturing, transactionOptions: { maxWait: busyMs } });
  await prisma.$connect();
  if (!connection) throw new Error('the SQLite adapter did not expose its connection');
  const sqlite = connection;
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Checkpoints run on a thread of their own (checkpointer.ts), away from the event loop.
  sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  const checkpointer = file === ':memory:' ? undefined : startCheckpointer(resolve(file), busyMs);
  // Statement and savepoint journals in memory: the enqueue's group commit runs each
  // enqueue in a savepoint, and a journal spilled to a temporary file cost a write per
  // page changed (about as much as the commit itself). They hold one transaction's
  // changed pages at most.
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma(`busy_timeout = ${Math.trunc(busyMs)}`);
  return {
    provider: 'sqlite',
    prisma,
    sqlite,
    async close() {
      await checkpointer?.stop();
      await prisma.$disconnect();
    },
  };
}

/** Connection settings for every PostgreSQL client Portal opens (the pool and the event bus's listener). */
export function pgClientConfig(url: string, options: OpenOptions = {}): pg.ClientConfig {
  const statementMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  return {
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: statementMs,
    // A server that vanished without closing the connection never sends its timeout error.
    query_timeout: statementMs + CLIENT_GRACE_MS,
    keepAlive: true,
  };
}

function openPostgres(url: string, options: OpenOptions): PostgresDatabase {
  const pool = new pg.Pool({ ...pgClientConfig(url, options), max: options.poolSize ?? 10 });
  // An idle client losing its server must not crash the process; the next query reports it
  // (and a new connection is made once the server is back).
  pool.on('error', () => undefined);
  // A transaction waits for a connection as long as a plain query does (the pool's
  // connectionTimeoutMillis); Prisma's own default of 2 s refused deletions and blocks
  // under bursts that plain queries rode out.
  const prisma = new PostgresPrismaClient({
    adapter: new PrismaPg(pool),
    transactionOptions: { maxWait: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
  }) as unknown as PortalPrisma;
  let closed = false;
  return {
    provider: 'postgresql',
    prisma,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await pool.end().catch(() => undefined); // PrismaPg may have ended it already
    },
  };
}
