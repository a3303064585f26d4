import type { Database } from '@portal/db';
import type { TPlan, TRole } from '@portal/contracts';
import { standingOf, type Principal, type Standing } from '../principal.ts';
import { pgRows, pgTime } from '../sql.ts';
import { LAST_SEEN_RESOLUTION_MS, sessionEnd, type SessionLifetime } from './lifetime.ts';

interface PrincipalRow {
  id: string;
  account_id: string | null;
  username: string | null;
  plan: string | null;
  role: string | null;
  blocked: number | boolean;
  suspended: number | boolean;
  /** Epoch ms (SQLite stores them so; pgRows reads timestamps so). */
  created_at: number;
  last_seen_at: number;
}

const SELECT_PRINCIPAL = `
  SELECT s.id, s.account_id, a.username, a.plan, a.role,
         s.blocked_at IS NOT NULL AS blocked, a.suspended_at IS NOT NULL AS suspended,
         s.created_at, s.last_seen_at
  FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
  WHERE s.token_hash = %1 AND s.revoked_at IS NULL`;

// The guard makes concurrent requests (and instances) write once between them.
const TOUCH = 'UPDATE sessions SET last_seen_at = %1 WHERE id = %2 AND last_seen_at < %3';

export interface LookupOptions extends SessionLifetime {
  /** Where a failed background write of last_seen_at is reported (nobody awaits it). */
  onError: (error: unknown) => void;
}

/**
 * Every authenticated request runs this: one indexed lookup by token hash, and the
 * expiry checked here against the clock. Only when the stored last_seen_at is over
 * an hour old does it also fire an UPDATE: on PostgreSQL without awaiting it, on
 * SQLite synchronously (one indexed row, microseconds; the one writer is this
 * process, unless an operator command holds the file for a moment). A session is
 * written at most about once an hour.
 */
export function createPrincipalLookup(
  db: Database,
  options: LookupOptions,
): (tokenHash: string) => Promise<Principal | null> {
  const { now, onError } = options;
  if (db.provider === 'sqlite') {
    const stmt = db.sqlite.prepare<[string], PrincipalRow>(SELECT_PRINCIPAL.replace('%1', '?')).safeIntegers(false);
    const touch = db.sqlite.prepare<[number, string, number]>(
      TOUCH.replace('%1', '?').replace('%2', '?').replace('%3', '?'),
    );
    const write = (id: string, at: number) => {
      try {
        touch.run(at, id, at - LAST_SEEN_RESOLUTION_MS);
      } catch (error) {
        onError(error);
      }
    };
    return (tokenHash) => Promise.resolve(toPrincipal(stmt.get(tokenHash), options, now(), write));
  }
  const text = SELECT_PRINCIPAL.replace('%1', '$1');
  const touchText = TOUCH.replace('%1', '$1').replace('%2', '$2').replace('%3', '$3');
  const write = (id: string, at: number) => {
    pgRows(db.pool, touchText, [pgTime(at), id, pgTime(at - LAST_SEEN_RESOLUTION_MS)]).catch(onError);
  };
  return async (tokenHash) =>
    toPrincipal((await pgRows<PrincipalRow>(db.pool, text, [tokenHash]))[0], options, now(), write);
}

interface StandingRow {
  id: string;
  revoked: number | boolean;
  blocked: number | boolean;
  suspended: number | boolean;
  created_at: number;
  last_seen_at: number;
}

/**
 * The flags behind a session's standing, for the sessions `where` selects (also read by the
 * SQLite matcher, which adds `columns` of the same row).
 */
export const standingSql = (where: string, columns = ''): string => `
  SELECT s.id,${columns} s.revoked_at IS NOT NULL AS revoked, s.blocked_at IS NOT NULL AS blocked,
         a.suspended_at IS NOT NULL AS suspended, s.created_at, s.last_seen_at
  FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id
  WHERE ${where}`;

/**
 * Where many sessions stand, in one query with one parameter (a JSON or array
 * list): the socket layer asks about every open socket at each ping. An expired
 * session stands as revoked (its sockets close with 4401).
 */
export function createStandingLookup(
  db: Database,
  life: SessionLifetime,
): (sessionIds: string[]) => Promise<Map<string, Standing>> {
  const toMap = (rows: StandingRow[]) => {
    const at = life.now();
    return new Map(
      rows.map((r): [string, Standing] => [
        r.id,
        at >= sessionEnd(life, r.created_at, r.last_seen_at) ? 'revoked' : standingOf(r),
      ]),
    );
  };
  if (db.provider === 'sqlite') {
    const stmt = db.sqlite
      .prepare<[string], StandingRow>(standingSql('s.id IN (SELECT value FROM json_each(?))'))
      .safeIntegers(false);
    return (ids) => Promise.resolve(toMap(stmt.all(JSON.stringify(ids))));
  }
  const text = standingSql('s.id = ANY($1::text[])');
  return async (ids) => toMap(await pgRows<StandingRow>(db.pool, text, [ids]));
}

function toPrincipal(
  row: PrincipalRow | undefined,
  life: SessionLifetime,
  at: number,
  write: (id: string, at: number) => void,
): Principal | null {
  if (!row) return null;
  if (at >= sessionEnd(life, row.created_at, row.last_seen_at)) return null;
  const renewed = row.last_seen_at < at - LAST_SEEN_RESOLUTION_MS;
  if (renewed) write(row.id, at);
  return {
    sessionId: row.id,
    accountId: row.account_id,
    username: row.username,
    personKey: row.account_id ?? row.id,
    plan: (row.plan ?? 'free') as TPlan,
    role: (row.role ?? 'user') as TRole,
    blocked: Boolean(row.blocked),
    suspended: Boolean(row.suspended),
    expiresAt: sessionEnd(life, row.created_at, renewed ? at : row.last_seen_at),
    renewed,
  };
}
