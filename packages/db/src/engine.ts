// Prisma's schema engine, run from @prisma/schema-engine-wasm through driver
// adapters, because the native engine behind `prisma migrate` cannot be
// downloaded here. Development tooling only: the runtime applies migrations
// with ./migrate.ts.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type ErrorRegistry,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type {
  DiagnoseMigrationHistoryOutput,
  DiffTarget,
  MigrationList,
  SchemaEngine,
  SchemasContainer,
} from '@prisma/schema-engine-wasm/schema_engine_bg';
import type * as SchemaEngineBg from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import {
  defaultMigrationsDir,
  defaultSchemaPath,
  LOCKFILE_NAME,
  lockfileContent,
  readMigrations,
  SCRIPT_NAME,
  type Provider,
} from './migration-files.ts';
import { providerOf, sqliteFilePath } from './migrate.ts';
import { createScratchDatabase, DEFAULT_PG_URL } from './pg-scratch.ts';

export type { Provider } from './migration-files.ts';

export interface MigrationOptions {
  provider: Provider;
  /** The migration's name: slugified (as the Prisma CLI does) and prefixed with a UTC timestamp. */
  name: string;
  /** PostgreSQL server to create scratch databases on; defaults to postgresql://postgres@127.0.0.1:5432/test. */
  url?: string;
  schemaPath?: string;
  migrationsDir?: string;
  /** Use this YYYYMMDDHHMMSS stamp instead of the engine's (to give both providers one name). */
  stamp?: string;
}

export interface PlannedMigration {
  /** The folder name, e.g. `20250101120000_init`. */
  name: string;
  script: string;
}

export interface SchemaDiff {
  /** True when nothing needs to change. */
  empty: boolean;
  /** The SQL that would bring the source to the schema file; '' when empty. */
  sql: string;
}

export interface DatabaseOptions {
  provider: Provider;
  /** A database migrated by migrateDatabase (file:… or postgresql://…). */
  url: string;
  schemaPath?: string;
  migrationsDir?: string;
}

const NO_FILTERS = { externalTables: [], externalEnums: [] };

/** Writes the next migration folder (and migration_lock.toml); null when the schema needs no change. */
export async function createMigration(options: MigrationOptions): Promise<string | null> {
  const planned = await planMigration(options);
  return planned && writeMigration(options.provider, planned, options);
}

/** The migration that would bring the committed migrations to the schema file, without writing it. */
export async function planMigration(options: MigrationOptions): Promise<PlannedMigration | null> {
  const { provider, stamp } = options;
  const migrationName = slugify(options.name);
  if (stamp !== undefined && !/^\d{14}$/.test(stamp)) throw new Error(`Expected a YYYYMMDDHHMMSS stamp, got ${stamp}`);
  const schema = readSchema(options.schemaPath ?? defaultSchemaPath(provider));
  const migrationsList = migrationList(options.migrationsDir ?? defaultMigrationsDir(provider), provider);
  const output = await withEngine(schema, await scratchConnection(provider, options.url), async (engine) => {
    // devDiagnostic reads _prisma_migrations on the main database, so replay the history there first.
    await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    // createMigration finds no shadow database unless devDiagnostic ran first, as `migrate dev` does.
    const { action } = await engine.devDiagnostic({ migrationsList, filters: NO_FILTERS });
    if (action.tag === 'reset') throw new Error(`The migration history cannot be replayed: ${action.reason}`);
    return engine.createMigration({ draft: false, migrationName, migrationsList, schema, filters: NO_FILTERS });
  });
  if (output.migrationScript === null) return null;
  const generated = output.generatedMigrationName;
  const folder = stamp ? generated.replace(/^\d{14}/, stamp) : generated;
  return { name: folder, script: output.migrationScript };
}

export function writeMigration(
  provider: Provider,
  migration: PlannedMigration,
  options: { migrationsDir?: string } = {},
): string {
  const dir = options.migrationsDir ?? defaultMigrationsDir(provider);
  const latest = readMigrations(dir, provider).at(-1)?.name;
  // Folders apply in name order: a new one sorting earlier would run before migrations it follows.
  if (latest !== undefined && latest >= migration.name) {
    throw new Error(`New migration ${migration.name} does not sort after the latest one, ${latest}`);
  }
  const folder = join(dir, migration.name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, SCRIPT_NAME), migration.script);
  const lockfile = join(dir, LOCKFILE_NAME);
  if (!existsSync(lockfile)) writeFileSync(lockfile, lockfileContent(provider));
  return folder;
}

// The engine takes the name verbatim; the Prisma CLI slugifies it first.
function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
    .slice(0, 200);
  if (!slug) throw new Error(`Migration name ${JSON.stringify(name)} has no letters or digits`);
  return slug;
}

/** Prisma's folder prefix: the UTC time as YYYYMMDDHHMMSS. */
export function migrationStamp(date = new Date()): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

/** Drift check: the SQL that would bring a live database to the schema file. */
export async function checkDrift(options: DatabaseOptions): Promise<SchemaDiff> {
  const schemaPath = options.schemaPath ?? defaultSchemaPath(options.provider);
  const schema = readSchema(schemaPath);
  const from: DiffTarget = { tag: 'schemaDatasource', files: schema.files, configDir: dirname(schemaPath) };
  return withEngine(schema, liveConnection(options), (engine) => diffToSchema(engine, from, schema));
}

/** The SQL that would bring the committed migrations (replayed on a scratch database) to the schema file. */
export async function diffMigrationsAgainstSchema(
  options: Omit<MigrationOptions, 'name' | 'stamp'>,
): Promise<SchemaDiff> {
  const { provider } = options;
  const schema = readSchema(options.schemaPath ?? defaultSchemaPath(provider));
  const from: DiffTarget = {
    tag: 'migrations',
    ...migrationList(options.migrationsDir ?? defaultMigrationsDir(provider), provider),
  };
  return withEngine(schema, await scratchConnection(provider, options.url), (engine) =>
    diffToSchema(engine, from, schema),
  );
}

/** Prisma's own view of a database's migration history (what `prisma migrate status` reports). */
export async function diagnoseMigrationHistory(options: DatabaseOptions): Promise<DiagnoseMigrationHistoryOutput> {
  const { provider } = options;
  const schema = readSchema(options.schemaPath ?? defaultSchemaPath(provider));
  const migrationsList = migrationList(options.migrationsDir ?? defaultMigrationsDir(provider), provider);
  return withEngine(schema, liveConnection(options), (engine) =>
    engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS }),
  );
}

async function diffToSchema(engine: SchemaEngine, from: DiffTarget, schema: SchemasContainer): Promise<SchemaDiff> {
  const result = await engine.diff({
    from,
    to: { tag: 'schemaDatamodel', ...schema },
    script: true,
    // With exitCode set, the engine answers 2 when the diff is not empty.
    exitCode: true,
    filters: NO_FILTERS,
  });
  const empty = result.exitCode === 0;
  return { empty, sql: empty ? '' : (result.stdout ?? '') };
}

function readSchema(path: string): SchemasContainer {
  return { files: [{ path, content: readFileSync(path, 'utf8') }] };
}

function migrationList(dir: string, provider: Provider): MigrationList {
  const lockfile = join(dir, LOCKFILE_NAME);
  return {
    baseDir: dir,
    // The engine reads the connector from the lock file; a first migration has none yet.
    lockfile: {
      path: LOCKFILE_NAME,
      content: existsSync(lockfile) ? readFileSync(lockfile, 'utf8') : lockfileContent(provider),
    },
    shadowDbInitScript: '',
    migrationDirectories: readMigrations(dir, provider).map((migration) => ({
      path: migration.name,
      migrationFile: { path: SCRIPT_NAME, content: { tag: 'ok', value: migration.script } },
    })),
  };
}

type EngineModule = typeof SchemaEngineBg;

// The engine reports Rust panics here; without a registry a panic surfaces as a TypeError.
const panics = {
  message: '',
  set_message(message: string) {
    this.message = message;
  },
};

let engineModule: Promise<EngineModule> | undefined;

/** Instantiates the wasm module once per process (its bindings keep module-level state). */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= instantiateEngine().catch((error: unknown) => {
    engineModule = undefined; // let a later call retry
    throw error;
  });
  return engineModule;
}

async function instantiateEngine(): Promise<EngineModule> {
  const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  // The package does not export its package.json or the .wasm: find it next to the bindings.
  const bindings = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const wasm = readFileSync(join(dirname(bindings), 'schema_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(wasm, { './schema_engine_bg.js': withUnrefTimers(bg) });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  const registry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown };
  registry.PRISMA_WASM_PANIC_REGISTRY ??= panics;
  return bg;
}

// The engine arms timers for its timeouts (e.g. 10 s around PostgreSQL's
// advisory lock) and never clears them, which kept scripts alive 10 s after
// finishing. Pending engine work always waits on I/O, which keeps Node alive.
function withUnrefTimers(bg: EngineModule): WebAssembly.ModuleImports {
  const imports: Record<string, unknown> = { ...bg };
  for (const name of Object.keys(imports).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
    imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
  }
  return imports;
}

interface Connection {
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** Disposes every adapter the engine opened and removes scratch databases. */
  close(): Promise<void>;
}

async function withEngine<T>(
  schema: SchemasContainer,
  connection: Connection,
  run: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const bound = bindMigrationAwareSqlAdapterFactory(connection.factory);
  let engine: SchemaEngine | undefined;
  try {
    const { SchemaEngine } = await loadEngineModule();
    const datamodels = schema.files.map((file): [string, string] => [file.path, file.content]);
    engine = await SchemaEngine.new({ datamodels }, logEngine, bound);
    return await run(engine);
  } catch (error) {
    throw explain(error, bound.errorRegistry);
  } finally {
    engine?.free();
    await connection.close();
  }
}

function logEngine(line: string): void {
  if (process.env.DEBUG?.includes('schema-engine')) console.error(line);
}

// Adapter failures reach us as "External error id#N"; the real error waits in the registry.
function explain(error: unknown, errors: ErrorRegistry): Error {
  const result = error instanceof Error ? error : new Error(inspect(error));
  const id = /External error id#(\d+)/.exec(result.message)?.[1];
  const external = id === undefined ? undefined : errors.consumeError(Number(id));
  if (external) result.message += `\nAdapter error: ${inspect(external.error, { depth: 4 })}`;
  if (panics.message) {
    result.message += `\nEngine panic: ${panics.message}`;
    panics.message = '';
  }
  return result;
}

function liveConnection({ provider, url }: DatabaseOptions): Connection {
  if (providerOf(url) !== provider) throw new Error(`${provider} was asked for, but the URL is ${providerOf(url)}`);
  if (provider === 'postgresql') return postgresConnection(url, url);
  const path = sqliteFilePath(url);
  if (!existsSync(path)) throw new Error(`No SQLite database at ${path}`);
  return sqliteConnection(path);
}

/** A throwaway main database: the engine needs one even when only the shadow database matters. */
async function scratchConnection(provider: Provider, serverUrl = DEFAULT_PG_URL): Promise<Connection> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'prisma-scratch-'));
    const connection = sqliteConnection(join(dir, 'main.db'));
    return {
      ...connection,
      close: () => connection.close().finally(() => rmSync(dir, { recursive: true, force: true })),
    };
  }
  const scratch = await createScratchDatabase(serverUrl, 'prisma_scratch');
  const connection = postgresConnection(scratch.url, serverUrl);
  return { ...connection, close: () => connection.close().finally(() => scratch.drop()) };
}

function sqliteConnection(path: string): Connection {
  const tracker = adapterTracker();
  // The app stores DateTime as integer epoch milliseconds on SQLite.
  const adapters = new PrismaBetterSqlite3({ url: path }, { timestampFormat: 'unixepoch-ms' });
  return {
    factory: {
      provider: adapters.provider,
      adapterName: adapters.adapterName,
      connect: async () => tracker.track(runScriptsWhole(await adapters.connect())),
      // The shadow database is an in-memory one: nothing to clean up.
      connectToShadowDb: async () => tracker.track(runScriptsWhole(await adapters.connectToShadowDb())),
    },
    close: () => tracker.closeAll(),
  };
}

// The engine replays migrations into the shadow database through executeRaw,
// a whole multi-statement script at once, which better-sqlite3's prepare()
// refuses. Nothing ran when it refused, so running it as a script is safe.
function runScriptsWhole(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query) => {
    try {
      return await executeRaw(query);
    } catch (error) {
      const multiStatement = error instanceof RangeError && error.message.includes('more than one statement');
      if (!multiStatement || query.args.length > 0) throw error;
      await adapter.executeScript(query.sql);
      return 0;
    }
  };
  return adapter;
}

function postgresConnection(url: string, serverUrl: string): Connection {
  const tracker = adapterTracker();
  return {
    factory: {
      provider: 'postgres',
      adapterName: '@prisma/adapter-pg',
      connect: async () => tracker.track(await connectPostgres(url)),
      // PrismaPg's own shadow database is unusable (a connection string's
      // database overrides the shadow's name, and dispose drops the database
      // before closing its pool): make one here and drop it after its pool ends.
      connectToShadowDb: async () => {
        const shadow = await createScratchDatabase(serverUrl, 'prisma_shadow');
        return tracker.track(await connectPostgres(shadow.url), () => shadow.drop());
      },
    },
    close: () => tracker.closeAll(),
  };
}

async function connectPostgres(url: string): Promise<SqlDriverAdapter> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('connect', readCharAsText);
  const schema = new URL(url).searchParams.get('schema') ?? undefined;
  const adapter = await new PrismaPg(pool, { schema, disposeExternalPool: true }).connect();
  // adapter-pg splits scripts on every ';' (breaking quoted semicolons) and runs
  // the pieces one by one; one simple query runs the script whole, atomically.
  adapter.executeScript = async (script) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

const CHAR_OID = 18;
const TEXT_OID = 25;

type QueryFunction = (...args: unknown[]) => unknown;

// adapter-pg 7.10 has no mapping for the catalogs' internal "char" type (OID 18,
// e.g. pg_class.relkind) and fails the engine's introspection. pg already reads
// it as a one-character string, so relabel those columns as text before the
// adapter maps the column types.
function readCharAsText(client: pg.PoolClient): void {
  const query = client.query.bind(client) as QueryFunction;
  const patched: QueryFunction = (...args) => {
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: unknown, result: unknown) =>
        (callback as QueryFunction)(error, error ? result : relabelChar(result));
      return query(...args);
    }
    const pending = query(...args);
    return pending instanceof Promise ? pending.then(relabelChar) : pending;
  };
  client.query = patched as typeof client.query;
}

function relabelChar<T>(result: T): T {
  // A multi-statement query yields one result per statement.
  for (const each of [result].flat() as Array<Partial<pg.QueryResult> | undefined>) {
    for (const field of each?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

/** Makes each adapter's dispose idempotent, runs `after` once it is done, and disposes leftovers at the end. */
function adapterTracker() {
  const open = new Set<() => Promise<void>>();
  return {
    track(adapter: SqlDriverAdapter, after?: () => Promise<void>): SqlDriverAdapter {
      const dispose = adapter.dispose.bind(adapter);
      let disposed: Promise<void> | undefined;
      const once = () => {
        open.delete(once);
        disposed ??= dispose().finally(() => after?.());
        return disposed;
      };
      adapter.dispose = once;
      open.add(once);
      return adapter;
    },
    async closeAll(): Promise<void> {
      await Promise.all([...open].map((dispose) => dispose()));
    },
  };
}
