import { spawnSync } from 'node:child_process';

/** Drops the PostgreSQL database the browser suite ran on (its server is stopped by then or is stopping). */
export default function teardown(): void {
  const db = process.env.PORTAL_E2E_PG_DB;
  const admin = process.env.PORTAL_E2E_PG_ADMIN;
  if (db && admin) spawnSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`], { stdio: 'ignore' });
}
