// Real databases for tests: a fresh migrated SQLite file, or a fresh PostgreSQL
// database on the local server, each dropped afterwards. No mocks.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database, type OpenOptions } from './client.ts';
import { migrateDatabase, type Provider } from './migrate.ts';
import { canConnect, createScratchDatabase, DEFAULT_PG_URL } from './pg-scratch.ts';

export type { Provider } from './migrate.ts';
export { createScratchDatabase, type ScratchDatabase } from './pg-scratch.ts';

export const pgTestBaseUrl = (): string => process.env.PG_TEST_URL ?? DEFAULT_PG_URL;

let availability: Promise<boolean> | undefined;

/**
 * Whether the PostgreSQL suite runs. Unreachable PostgreSQL skips it with a loud
 * line, except under CI=true, where it is an error.
 */
export function postgresAvailable(): Promise<boolean> {
  availability ??= canConnect(pgTestBaseUrl()).then((ok) => {
    if (ok) return true;
    if (process.env.CI === 'true') {
      throw new Error(`CI=true requires PostgreSQL, but ${pgTestBaseUrl()} is unreachable`);
    }
    process.stderr.write(
      `\n${'!'.repeat(78)}\n!! PostgreSQL at ${pgTestBaseUrl()} is unreachable: the PostgreSQL suite is SKIPPED.\n!! Start it, or set PG_TEST_URL. Under CI=true this is a failure.\n${'!'.repeat(78)}\n\n`,
    );
    return false;
  });
  return availability;
}

/** The NATS server the NATS bus suites use (`nats://host:port`). */
export const natsTestUrl = (): string => process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';

let natsAvailability: Promise<boolean> | undefined;

/** Whether the NATS bus suites run: as for PostgreSQL, skipped loudly when unreachable, an error under CI=true. */
export function natsAvailable(): Promise<boolean> {
  natsAvailability ??= new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(natsTestUrl());
    const socket = connect(Number(port || 4222), hostname || '127.0.0.1');
    const answer = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3_000);
    // A NATS server speaks first: its INFO line.
    socket.once('data', (data) => answer(data.toString().startsWith('INFO ')));
    socket.once('error', () => answer(false));
    socket.once('timeout', () => answer(false));
  }).then((ok) => {
    if (ok) return true;
    if (process.env.CI === 'true') throw new Error(`CI=true requires NATS, but ${natsTestUrl()} is unreachable`);
    process.stderr.write(
      `\n${'!'.repeat(78)}\n!! NATS at ${natsTestUrl()} is unreachable: the NATS bus suites are SKIPPED.\n!! Start it, or set NATS_TEST_URL. Under CI=true this is a failure.\n${'!'.repeat(78)}\n\n`,
    );
    return false;
  });
  return natsAvailability;
}

export interface TestDatabaseUrl {
  provider: Provider;
  url: string;
  /** Removes the file or drops the database. */
  destroy(): Promise<void>;
}

/** A fresh, migrated, empty database of the given provider. */
export async function createTestDatabaseUrl(provider: Provider): Promise<TestDatabaseUrl> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'portal-test-'));
    const url = `file:${join(dir, 'portal.db')}`;
    await migrateDatabase(url);
    return { provider, url, destroy: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
  }
  const scratch = await createScratchDatabase(pgTestBaseUrl(), 'portal_test');
  await migrateDatabase(scratch.url);
  return { provider, url: scratch.url, destroy: () => scratch.drop() };
}

export interface TestDatabase extends TestDatabaseUrl {
  db: Database;
}

/** A fresh migrated database, opened. `destroy` closes it first. */
export async function createTestDatabase(provider: Provider, options: OpenOptions = {}): Promise<TestDatabase> {
  const target = await createTestDatabaseUrl(provider);
  const db = await openDatabase(target.url, options);
  return {
    ...target,
    db,
    async destroy() {
      await db.close();
      await target.destroy();
    },
  };
}
