import { createHash } from 'node:crypto';
import pg from 'pg';

// Prisma maps DateTime to `timestamp(3)` (no zone) holding UTC wall time; node-pg
// would read it in the process's local zone. Hot-path queries read epoch ms instead.
const TIMESTAMP_OID = 1114;
const INT8_OID = 20;
const utcTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMP_OID) return (value: string) => Date.parse(`${value.replace(' ', 'T')}Z`);
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export type PgQueryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * Runs one statement with timestamps as epoch ms and int8 as number. Hot
 * statements are named: each connection then parses and plans them once
 * instead of on every call.
 */
export async function pgRows<T>(db: PgQueryable, text: string, values: unknown[] = []): Promise<T[]> {
  const result = await db.query<T & pg.QueryResultRow>({ name: statementName(text), text, values, types: utcTypes });
  return result.rows;
}

const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `portal_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

/** A timestamp parameter: UTC wall time, which `timestamp` keeps as is. */
export const pgTime = (ms: number): string => new Date(ms).toISOString();

/** A statement written with `:name` placeholders, run with named parameters (`::type` casts are left alone). */
export function pgStatement(sql: string) {
  const names: string[] = [];
  const text = sql.replace(/(?<!:):(\w+)/g, (_, name: string) => {
    let index = names.indexOf(name);
    if (index < 0) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return {
    rows: <T>(db: PgQueryable, params: Record<string, unknown>) =>
      pgRows<T>(
        db,
        text,
        names.map((name) => params[name]),
      ),
  };
}

/** A unique constraint refused the write (Prisma P2002, or the driver's own code). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'P2002' || code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
