// A scratch PostgreSQL database per run: created before the server starts, dropped
// (WITH (FORCE)) at the end whatever happened.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/test';

async function withAdmin(adminUrl, fn) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Returns `{ name, url, serverVersion, drop() }`. */
export async function createScratchDatabase(adminUrl = DEFAULT_ADMIN_URL) {
  const name = `portal_bench_${randomBytes(6).toString('hex')}`;
  const serverVersion = await withAdmin(adminUrl, async (client) => {
    await client.query(`CREATE DATABASE ${name}`);
    const { rows } = await client.query('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropping;
  return {
    name,
    url: url.toString(),
    serverVersion,
    drop() {
      dropping ??= withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      return dropping;
    },
  };
}
