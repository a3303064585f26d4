// Applies the committed Prisma migrations at server start and in tests.
// Needs no schema engine: it runs the migration.sql files in order and keeps
// `_prisma_migrations` exactly as Prisma does, so `prisma migrate deploy` and
// `prisma migrate status` stay usable on the same database.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  checksumOf,
  defaultMigrationsDir,
  readMigrations,
  type MigrationFile,
  type Provider,
} from './migration-files.ts';

export type { Provider } from './migration-files.ts';

export interface MigrateOptions {
  /** The migrations folder for this URL's provider; defaults to the repository's prisma/ folders. */
  migrationsDir?: string;
}

export function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite';
  if (url.startsWith('postgresql://') || url.startsWith('postgres://')) return 'postgresql';
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? '(none)';
  throw new Error(
    `Unsupported database URL scheme ${scheme}: use file:<path> for SQLite or postgresql://… for PostgreSQL`,
  );
}

/** The file behind a `file:` URL; relative paths resolve against the working directory, as Prisma's do. */
export function sqliteFilePath(url: string): string {
  const path = url.slice('file:'.length);
  if (!url.startsWith('file:') || path === '' || path.includes('?') || /^\/\/[^/]/.test(path)) {
    throw new Error(`Expected a plain SQLite URL such as file:./data/portal.db, got ${url}`);
  }
  return resolve(process.cwd(), path);
}

/** Applies the migrations not yet recorded in the database; returns their names, oldest first. */
export async function migrateDatabase(url: string, options: MigrateOptions = {}): Promise<string[]> {
  const provider = providerOf(url);
  const migrations = readMigrations(options.migrationsDir ?? defaultMigrationsDir(provider), provider);
  return provider === 'sqlite' ? migrateSqlite(url, migrations) : migratePostgres(url, migrations);
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

// Prisma's own definitions (sql-schema-connector), so its CLI accepts the table as its own.
const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

const SELECT_APPLIED =
  'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at';

// Prisma's own lock key (`prisma migrate deploy` takes the same one), so the two exclude each other too.
const ADVISORY_LOCK_KEY = 72707369;

function migrateSqlite(url: string, migrations: MigrationFile[]): string[] {
  const path = sqliteFilePath(url);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 15_000 });
  try {
    db.exec(SQLITE_TABLE);
    // Prisma's table redefinitions drop and recreate tables; with foreign keys
    // enforced that DROP would cascade-delete child rows. The pragma is a no-op
    // inside a transaction (so the scripts' own PRAGMA lines do nothing): set it here.
    db.pragma('foreign_keys = OFF');
    const applied: string[] = [];
    for (;;) {
      // BEGIN IMMEDIATE takes the write lock before reading the history, so a
      // second process waits here and then sees what the first one applied.
      db.exec('BEGIN IMMEDIATE');
      try {
        const next = pendingMigrations(migrations, db.prepare(SELECT_APPLIED).all() as AppliedRow[])[0];
        if (!next) {
          db.exec('COMMIT');
          return applied;
        }
        applySqlite(db, next);
        db.exec('COMMIT');
        applied.push(next.name);
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    }
  } finally {
    db.close();
  }
}

function applySqlite(db: Database.Database, migration: MigrationFile): void {
  const startedAt = Date.now();
  try {
    db.exec(migration.script);
    const violations = db.pragma('foreign_key_check') as unknown[];
    if (violations.length > 0) throw new Error(`${violations.length} foreign key violation(s) after the script`);
  } catch (error) {
    throw migrationFailed(migration, error);
  }
  // DateTime columns hold integer epoch milliseconds on SQLite, as Prisma writes them.
  db.prepare(
    `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
     VALUES (?, ?, ?, ?, ?, 1)`,
  ).run(randomUUID(), migration.checksum, Date.now(), migration.name, startedAt);
}

async function migratePostgres(url: string, migrations: MigrationFile[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await useSchemaFromUrl(client, url);
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    try {
      await client.query(POSTGRES_TABLE);
      const rows = (await client.query<AppliedRow>(SELECT_APPLIED)).rows;
      const applied: string[] = [];
      for (const migration of pendingMigrations(migrations, rows)) {
        await applyPostgres(client, migration);
        applied.push(migration.name);
      }
      return applied;
    } finally {
      // Best effort: ending the session releases the lock anyway, and a failed
      // unlock (e.g. a dropped connection) must not hide the original error.
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await client.end();
  }
}

async function applyPostgres(client: pg.Client, migration: MigrationFile): Promise<void> {
  const startedAt = new Date();
  await client.query('BEGIN');
  try {
    // One simple-protocol query: PostgreSQL runs the whole multi-statement script.
    await client.query(migration.script);
  } catch (error) {
    await client.query('ROLLBACK');
    throw migrationFailed(migration, error);
  }
  try {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, clock_timestamp(), $3, $4, 1)`,
      [randomUUID(), migration.checksum, migration.name, startedAt],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

// Prisma URLs may carry ?schema=name; the server ignores it, so apply it here.
async function useSchemaFromUrl(client: pg.Client, url: string): Promise<void> {
  const schema = new URL(url).searchParams.get('schema');
  if (!schema) return;
  const quoted = `"${schema.replaceAll('"', '""')}"`;
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
  await client.query(`SET search_path TO ${quoted}`);
}

/** The migrations still to apply, after checking the recorded history is one we can build on. */
function pendingMigrations(migrations: MigrationFile[], rows: AppliedRow[]): MigrationFile[] {
  // A rolled-back row is history only; Prisma records a fresh row when the migration is reapplied.
  const live = rows.filter((row) => row.rolled_back_at === null);
  const unfinished = live.filter((row) => row.finished_at === null).map((row) => row.migration_name);
  if (unfinished.length > 0) {
    throw new Error(
      `Migration(s) ${unfinished.join(', ')} failed earlier and are recorded as unfinished in _prisma_migrations. ` +
        'Repair the database, then mark them with `prisma migrate resolve`.',
    );
  }
  const byName = new Map(migrations.map((migration) => [migration.name, migration]));
  for (const row of live) {
    const file = byName.get(row.migration_name);
    if (!file) {
      throw new Error(
        `The database has migration ${row.migration_name} applied, but it is not in the migrations folder ` +
          '(is this an older build than the database?)',
      );
    }
    if (!matchesChecksum(file.script, row.checksum)) {
      throw new Error(
        `Migration ${row.migration_name} was edited after it was applied (its checksum no longer matches ` +
          '_prisma_migrations). Restore the original migration.sql and put the change in a new migration.',
      );
    }
  }
  const applied = new Set(live.map((row) => row.migration_name));
  return migrations.filter((migration) => !applied.has(migration.name));
}

// Like Prisma, accept a script whose only change is its line endings (a Windows checkout).
function matchesChecksum(script: string, checksum: string): boolean {
  const lf = script.replaceAll('\r\n', '\n');
  return [script, lf, lf.replaceAll('\n', '\r\n')].some((variant) => checksumOf(variant) === checksum);
}

function migrationFailed(migration: MigrationFile, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`Migration ${migration.name} failed and was rolled back: ${reason}`, { cause: error });
}
