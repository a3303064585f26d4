/**
 * The one reading of "the database cannot serve this right now" (SPEC §11: 503
 * ERR_UNAVAILABLE, never 500). The same failure reaches us in several wrappings:
 * node-postgres and Node socket errors, PostgreSQL's own SQLSTATE codes,
 * better-sqlite3's SQLITE_BUSY, and Prisma's versions of all of these (its P1xxx
 * codes, or the driver adapter's error kept under `meta.driverAdapterError`).
 */

/** Node socket errors: the server refused, reset, or could not be reached. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Prisma: can't reach the server (P1001), timed out connecting or running (P1002,
 * P1008), the database is gone (P1003), server closed the connection (P1017), no connection from the pool in
 * time (P2024), interactive transaction could not start or outlived its timeout
 * (P2028), too many connections (P2037).
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1003', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);

/** The driver adapter's kinds for the same failures. */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'SocketTimeout',
  'ConnectionClosed',
  'TooManyConnections',
]);

/**
 * PostgreSQL SQLSTATE: connection exceptions (class 08), insufficient resources
 * (class 53), query_canceled (57014: statement_timeout), shutdown and startup
 * (57P01–57P03), lock_not_available (55P03), system and I/O errors (58000, 58030),
 * and a database that was dropped or not created yet (3D000).
 */
const isUnavailableSqlState = (code: string): boolean =>
  /^(08|53)[0-9A-Z]{3}$/.test(code) ||
  ['57014', '57P01', '57P02', '57P03', '55P03', '58000', '58030', '3D000'].includes(code);

/** SQLite: a lock held past the busy timeout, or a file it cannot read or write. */
const isUnavailableSqlite = (code: string): boolean => /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL)/.test(code);

/** node-postgres reports these without a code. */
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed|Connection ended/i;

function matches(value: Record<string, unknown>): boolean {
  const code = typeof value.code === 'string' ? value.code : undefined;
  const originalCode = typeof value.originalCode === 'string' ? value.originalCode : undefined;
  for (const c of [code, originalCode]) {
    if (!c) continue;
    if (SOCKET_CODES.has(c) || PRISMA_CODES.has(c) || isUnavailableSqlState(c) || isUnavailableSqlite(c)) return true;
  }
  if (typeof value.kind === 'string' && ADAPTER_KINDS.has(value.kind)) return true;
  const message = typeof value.message === 'string' ? value.message : '';
  return PG_MESSAGES.test(message);
}

/** True when `error`, or anything it wraps, says the database is unreachable, overloaded or too slow. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): boolean => {
    if (value === null || typeof value !== 'object' || depth > 6 || seen.has(value)) return false;
    seen.add(value);
    const record = value as Record<string, unknown>;
    if (matches(record)) return true;
    const meta = record.meta as Record<string, unknown> | undefined;
    const errors: unknown[] = Array.isArray(record.errors) ? (record.errors as unknown[]) : [];
    const nested = [record.cause, meta?.driverAdapterError, ...errors];
    return nested.some((inner) => visit(inner, depth + 1));
  };
  return visit(error, 0);
}
