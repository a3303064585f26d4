import type { Database } from '@portal/db';
import type { TPlan, TRole } from '@portal/contracts';
import { standingOf, type Principal, type Standing } from '../principal.ts';
import { pgRows } from '../sql.ts';

interface PrincipalRow {
  id: string;
  account_id: string | null;
  username: string | null;
  plan: string | null;
  role: string | null;
  blocked: number | boolean;
  suspended: number | boolean;
}

const SELECT_PRINCIPAL = `
  SELECT s.id, s.account_id, a.username, a.plan, a.role,
         s.blocked_at IS NOT NULL AS blocked, a.suspended_at IS NOT NULL AS suspended
  FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
  WHERE s.token_hash = %1 AND s.revoked_at IS NULL`;

/** Every authenticated request runs this: one indexed lookup by token hash. */
export function createPrincipalLookup(db: Database): (tokenHash: string) => Promise<Principal | null> {
  if (db.provider === 'sqlite') {
    const stmt = db.sqlite.prepare<[string], PrincipalRow>(SELECT_PRINCIPAL.replace('%1', '?')).safeIntegers(false);
    return (tokenHash) => Promise.resolve(toPrincipal(stmt.get(tokenHash)));
  }
  const text = SELECT_PRINCIPAL.replace('%1', '$1');
  return async (tokenHash) => toPrincipal((await pgRows<PrincipalRow>(db.pool, text, [tokenHash]))[0]);
}

interface StandingRow {
  id: string;
  revoked: number | boolean;
  blocked: number | boolean;
  suspended: number | boolean;
}

/** The flags behind a session's standing, for the sessions `where` selects (also read by the SQLite matcher). */
export const standingSql = (where: string): string => `
  SELECT s.id, s.revoked_at IS NOT NULL AS revoked, s.blocked_at IS NOT NULL AS blocked,
         a.suspended_at IS NOT NULL AS suspended
  FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
  WHERE ${where}`;

/**
 * Where many sessions stand, in one query with one parameter (a JSON or array
 * list): the socket layer asks about every open socket at each ping.
 */
export function createStandingLookup(db: Database): (sessionIds: string[]) => Promise<Map<string, Standing>> {
  const toMap = (rows: StandingRow[]) => new Map(rows.map((r): [string, Standing] => [r.id, standingOf(r)]));
  if (db.provider === 'sqlite') {
    const stmt = db.sqlite
      .prepare<[string], StandingRow>(standingSql('s.id IN (SELECT value FROM json_each(?))'))
      .safeIntegers(false);
    return (ids) => Promise.resolve(toMap(stmt.all(JSON.stringify(ids))));
  }
  const text = standingSql('s.id = ANY($1::text[])');
  return async (ids) => toMap(await pgRows<StandingRow>(db.pool, text, [ids]));
}

function toPrincipal(row: PrincipalRow | undefined): Principal | null {
  if (!row) return null;
  return {
    sessionId: row.id,
    accountId: row.account_id,
    username: row.username,
    personKey: row.account_id ?? row.id,
    plan: (row.plan ?? 'free') as TPlan,
    role: (row.role ?? 'user') as TRole,
    blocked: Boolean(row.blocked),
    suspended: Boolean(row.suspended),
  };
}
