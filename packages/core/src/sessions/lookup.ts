import type { Database } from '@portal/db';
import type { TPlan, TRole } from '@portal/contracts';
import { standingOf, type Principal, type Standing } from '../principal.ts';
import { pgRows, pgTime } from '../sql.ts';
import { LAST_SEEN_RESOLUTION_MS, sessionEnd, type SessionLifetime } from './lifetime.ts';
import { BYPASS, type PrincipalCache, type PrincipalRow } from './principal-cache.ts';

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
  /** This instance's principal cache, if it keeps one (CoreConfig.principalCacheSize). */
  cache?: PrincipalCache;
}

/**
 * Every authenticated request runs this: one indexed lookup by token hash, and the
 * expiry checked here against the clock. Only when the stored last_seen_at is over
 * an hour old does it also fire an UPDATE: on PostgreSQL without awaiting it, on
 * SQLite synchronously (one indexed row, microseconds; the one writer is this
 * process, unless an operator command holds the file for a moment). A session is
 * written at most about once an hour.
 *
 * With a cache, the lookup is skipped while the cached row is live and its
 * last_seen_at less than an hour old. Anything else (a miss, an expired row, a
 * renewal due) reads the database as above: so the hourly write, and the expiry an
 * instance reports, never rest on a row another instance may have renewed since, and
 * a row missed by an invalidation is served for an hour at most.
 */
export function createPrincipalLookup(
  db: Database,
  options: LookupOptions,
): (tokenHash: string) => Promise<Principal | null> {
  const { now, onError, cache } = options;
  if (db.provider === 'sqlite') {
    const stmt = db.sqlite.prepare<[string], PrincipalRow>(SELECT_PRINCIPAL.replace('%1', '?')).safeIntegers(false);
    const touch = db.sqlite.prepare<[number, string, number]>(
      TOUCH.replace('%1', '?').replace('%2', '?').replace('%3', '?'),
    );
    const write = (row: PrincipalRow, at: number) => {
      try {
        // A cached row follows the write only if this one made it.
        if (touch.run(at, row.id, at - LAST_SEEN_RESOLUTION_MS).changes === 1) row.last_seen_at = at;
      } catch (error) {
        onError(error);
      }
    };
    if (!cache) return (tokenHash) => Promise.resolve(toPrincipal(stmt.get(tokenHash), options, now(), write));
    return (tokenHash) => {
      const stamp = cache.begin();
      return Promise.resolve(
        fromCache(cache, tokenHash, stamp, options) ??
          remember(cache, tokenHash, stamp, stmt.get(tokenHash), options, write),
      );
    };
  }
  const text = SELECT_PRINCIPAL.replace('%1', '$1');
  const touchText = `${TOUCH.replace('%1', '$1').replace('%2', '$2').replace('%3', '$3')} RETURNING id`;
  const write = (row: PrincipalRow, at: number) => {
    pgRows(db.pool, touchText, [pgTime(at), row.id, pgTime(at - LAST_SEEN_RESOLUTION_MS)]).then((rows) => {
      // Until then a cached row stays due, and requests read the database as they would without a cache.
      if (rows.length === 1) row.last_seen_at = at;
    }, onError);
  };
  const read = async (tokenHash: string) => (await pgRows<PrincipalRow>(db.pool, text, [tokenHash]))[0];
  if (!cache) return async (tokenHash) => toPrincipal(await read(tokenHash), options, now(), write);
  return async (tokenHash) => {
    // Several instances, and any process, write this database: a kept row answers only
    // once this instance has heard of every change acknowledged before this request
    // began (the bus's fence, shared by the requests of the moment). A miss reads the
    // database at once, as without a cache.
    const trusted = cache.has(tokenHash) && (await cache.caughtUp());
    const stamp = cache.begin();
    return (
      (trusted ? fromCache(cache, tokenHash, stamp, options) : undefined) ??
      remember(cache, tokenHash, stamp, await read(tokenHash), options, write)
    );
  };
}

/** The principal from the cached row, when that row may answer without the database. */
function fromCache(cache: PrincipalCache, tokenHash: string, stamp: number, life: SessionLifetime) {
  if (stamp === BYPASS) return undefined;
  const row = cache.get(tokenHash);
  return row && !due(row, life, life.now()) ? principalOf(row, life, row.last_seen_at, false) : undefined;
}

/** The database's answer, with the cache kept in step: a live session stored, anything else dropped. */
function remember(
  cache: PrincipalCache,
  tokenHash: string,
  stamp: number,
  row: PrincipalRow | undefined,
  life: SessionLifetime,
  write: (row: PrincipalRow, at: number) => void,
): Principal | null {
  const principal = toPrincipal(row, life, life.now(), write);
  if (principal) cache.put(tokenHash, row!, stamp);
  else cache.drop(tokenHash);
  return principal;
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

/** Past its end, or its last_seen_at over an hour old (this request would write it). */
const due = (row: PrincipalRow, life: SessionLifetime, at: number): boolean =>
  at >= sessionEnd(life, row.created_at, row.last_seen_at) || row.last_seen_at < at - LAST_SEEN_RESOLUTION_MS;

function toPrincipal(
  row: PrincipalRow | undefined,
  life: SessionLifetime,
  at: number,
  write: (row: PrincipalRow, at: number) => void,
): Principal | null {
  if (!row) return null;
  if (at >= sessionEnd(life, row.created_at, row.last_seen_at)) return null;
  const renewed = row.last_seen_at < at - LAST_SEEN_RESOLUTION_MS;
  if (renewed) write(row, at);
  return principalOf(row, life, renewed ? at : row.last_seen_at, renewed);
}

function principalOf(row: PrincipalRow, life: SessionLifetime, lastSeenAt: number, renewed: boolean): Principal {
  return {
    sessionId: row.id,
    accountId: row.account_id,
    username: row.username,
    personKey: row.account_id ?? row.id,
    plan: (row.plan ?? 'free') as TPlan,
    role: (row.role ?? 'user') as TRole,
    blocked: Boolean(row.blocked),
    suspended: Boolean(row.suspended),
    expiresAt: sessionEnd(life, row.created_at, lastSeenAt),
    renewed,
  };
}
