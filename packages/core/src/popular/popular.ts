import type { Database } from '@portal/db';
import { MAX_POPULAR_INTERESTS, type TPopularInterests } from '@portal/contracts';
import { pgRows, pgStatement, pgTime } from '../sql.ts';

/**
 * "Popular now" (SPEC §9): for each tag that at least POPULAR_MIN_PEOPLE different
 * people searched in the last hour, how many people wait on it now, how many matches
 * it made in the last hour, and the median wait of those matches.
 *
 * Cost on the enqueue: nothing but a Map update. Searches and matches are buffered
 * in memory and written every FLUSH_MS in one statement (PostgreSQL) or one short
 * transaction (SQLite) into two last-hour tables, popular_searches (one row per tag
 * and person: the k-anonymity count) and popular_matches (one row per match); the
 * reaper deletes rows older than an hour. The list reads those tables over an index
 * range of the last hour, plus the live queue_tags, at most once per CACHE_MS per
 * instance, and clients may keep an answer MAX_AGE_SECONDS: the numbers are at most
 * FLUSH_MS + CACHE_MS + MAX_AGE_SECONDS = 5 s old, the live `waiting` at most 4 s.
 * Searches of the last second are lost if the process dies: acceptable for a hint.
 */
export interface PopularService {
  /** A person searched these tags (the enqueue succeeded: searching or matched). */
  searched(tags: readonly string[], personKey: string, at: number): void;
  /** A pair was made on this tag; `waitedMs` is how long the waiting side had waited. */
  matched(tag: string, at: number, waitedMs: number): void;
  /** Writes what is buffered now; resolves once it is in the database. */
  flush(): Promise<void>;
  /** The list, computed at most once per CACHE_MS by this instance. */
  list(): Promise<TPopularInterests>;
  /** Deletes rows older than the window; the reaper calls it. Returns how many. */
  purge(): Promise<number>;
}

export const POPULAR_WINDOW_MS = 3_600_000;
/** A tag is listed only when this many different people searched it in the window (a rare tag never leaks). */
export const POPULAR_MIN_PEOPLE = 3;
/** A median over fewer matches than this says more about one person than about the tag: null. */
export const POPULAR_MIN_MATCHES_FOR_MEDIAN = 5;
export const POPULAR_LIMIT = MAX_POPULAR_INTERESTS;
/** How long buffered searches and matches wait before they are written. */
export const POPULAR_FLUSH_MS = 1_000;
/** How long one instance serves the same computed list. */
export const POPULAR_CACHE_MS = 2_000;
/** `Cache-Control: public, max-age=` of the REST answer. */
export const POPULAR_MAX_AGE_SECONDS = 2;

interface ListRow {
  tag: string;
  matches: number;
  median_ms: number | null;
  waiting: number;
}

/**
 * One statement on both databases, reading indexes only: people per tag from
 * (tag, searched_at) (the primary key makes each row a different person), matches per
 * tag from (tag, matched_at, wait_ms), `waiting` from the live queue. The median is
 * computed for the listed tags only, one index range each: the mean of the middle one
 * or two waits. Measured with a very busy hour in the tables (300,000 searches, 50,000
 * matches, 200 tags; 2026-11-30, 2 busy cores): 50 ms on SQLite (200 ms when it read
 * the rows by time instead), 65–125 ms on PostgreSQL; at most once per CACHE_MS.
 */
const LIST_SQL = `
  WITH searched AS (
    SELECT tag FROM popular_searches WHERE searched_at > :since
    GROUP BY tag HAVING COUNT(*) >= :minPeople
  ),
  matched AS (
    SELECT tag, COUNT(*) AS matches FROM popular_matches WHERE matched_at > :since GROUP BY tag
  ),
  waiting AS (
    SELECT t.tag, COUNT(DISTINCT e.person_key) AS waiting
    FROM queue_tags t JOIN searched s ON s.tag = t.tag JOIN queue_entries e ON e.seq = t.entry_seq
    WHERE t.expires_at > :now
    GROUP BY t.tag
  ),
  listed AS MATERIALIZED (
    SELECT s.tag, COALESCE(m.matches, 0) AS matches, COALESCE(w.waiting, 0) AS waiting
    FROM searched s LEFT JOIN matched m ON m.tag = s.tag LEFT JOIN waiting w ON w.tag = s.tag
    ORDER BY matches DESC, waiting DESC, s.tag
    LIMIT :limit
  ),
  waits AS (
    SELECT m.tag, m.wait_ms, l.matches AS n,
           ROW_NUMBER() OVER (PARTITION BY m.tag ORDER BY m.wait_ms) AS rn
    FROM listed l JOIN popular_matches m ON m.tag = l.tag AND m.matched_at > :since
    WHERE l.matches >= :minMatches
  ),
  medians AS (
    SELECT tag, CAST(AVG(wait_ms) AS DOUBLE PRECISION) AS median_ms
    FROM waits WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
    GROUP BY tag
  )
  SELECT l.tag, l.matches, md.median_ms, l.waiting
  FROM listed l LEFT JOIN medians md ON md.tag = l.tag
  ORDER BY l.matches DESC, l.waiting DESC, l.tag`;

const PURGE_SEARCHES = 'DELETE FROM popular_searches WHERE searched_at <= :cutoff';
const PURGE_MATCHES = 'DELETE FROM popular_matches WHERE matched_at <= :cutoff';

// One round trip for a whole batch. Rows are written in key order so that two
// instances flushing the same (tag, person) at once cannot deadlock.
const PG_FLUSH = `
  WITH searches AS (
    INSERT INTO popular_searches (tag, person_key, searched_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamp(3)[]) ORDER BY 1, 2
    ON CONFLICT (tag, person_key) DO UPDATE
      SET searched_at = GREATEST(popular_searches.searched_at, EXCLUDED.searched_at)
  )
  INSERT INTO popular_matches (tag, matched_at, wait_ms)
  SELECT * FROM unnest($4::text[], $5::timestamp(3)[], $6::int[])`;

const SQLITE_SEARCH = `
  INSERT INTO popular_searches (tag, person_key, searched_at) VALUES (@tag, @person, @at)
  ON CONFLICT (tag, person_key) DO UPDATE SET searched_at = MAX(searched_at, excluded.searched_at)`;
const SQLITE_MATCH = 'INSERT INTO popular_matches (tag, matched_at, wait_ms) VALUES (@tag, @at, @wait)';

interface Batch {
  /** `tag \n person` → the latest search. */
  searches: Map<string, number>;
  matches: { tag: string; at: number; waitMs: number }[];
}

interface Store {
  write(batch: Batch): Promise<void>;
  read(now: number): Promise<ListRow[]>;
  purge(cutoff: number): Promise<number>;
}

const emptyBatch = (): Batch => ({ searches: new Map(), matches: [] });
const SEPARATOR = '\n'; // never inside a tag or a person key

export function createPopularService(
  db: Database,
  now: () => number,
  onError: (error: unknown) => void,
): PopularService {
  const store = db.provider === 'sqlite' ? sqliteStore(db) : postgresStore(db);
  let batch = emptyBatch();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let cached: { at: number; value: Promise<TPopularInterests> } | undefined;

  const schedule = () => {
    if (timer) return;
    timer = setTimeout(() => void flush().catch(onError), POPULAR_FLUSH_MS);
    timer.unref();
  };

  // Batches are written one after another, so a flush that returns has written
  // everything recorded before it was called. A failed batch is dropped: these are
  // hints, and keeping it would grow memory while the database is down.
  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const taken = batch;
    batch = emptyBatch();
    const run = writing.then(() =>
      taken.searches.size === 0 && taken.matches.length === 0 ? undefined : store.write(taken),
    );
    writing = run.catch(() => undefined);
    return run;
  }

  async function compute(): Promise<TPopularInterests> {
    const at = now();
    const rows = await store.read(at);
    return {
      interests: rows.map((row) => ({
        tag: row.tag,
        waiting: row.waiting,
        matches_last_hour: row.matches,
        median_wait_seconds: row.median_ms === null ? null : Math.round(row.median_ms / 100) / 10,
      })),
      generated_at: new Date(at).toISOString(),
    };
  }

  return {
    searched(tags, personKey, at) {
      for (const tag of tags) batch.searches.set(`${tag}${SEPARATOR}${personKey}`, at);
      schedule();
    },
    matched(tag, at, waitedMs) {
      batch.matches.push({ tag, at, waitMs: Math.max(0, Math.round(waitedMs)) });
      schedule();
    },
    flush,
    list() {
      const at = now();
      // Concurrent requests share one computation; a failed one is not kept.
      if (!cached || at - cached.at >= POPULAR_CACHE_MS || at < cached.at) {
        const value = compute();
        const entry = { at, value };
        cached = entry;
        value.catch(() => {
          if (cached === entry) cached = undefined;
        });
      }
      return cached.value;
    },
    purge: () => store.purge(now() - POPULAR_WINDOW_MS),
  };
}

function splitKey(key: string): [tag: string, person: string] {
  const cut = key.indexOf(SEPARATOR);
  return [key.slice(0, cut), key.slice(cut + 1)];
}

function listParams(at: number, time: (ms: number) => unknown) {
  return {
    since: time(at - POPULAR_WINDOW_MS),
    now: time(at),
    minPeople: POPULAR_MIN_PEOPLE,
    minMatches: POPULAR_MIN_MATCHES_FOR_MEDIAN,
    limit: POPULAR_LIMIT,
  };
}

function sqliteStore(db: Extract<Database, { provider: 'sqlite' }>): Store {
  const conn = db.sqlite;
  const named = (sql: string) => sql.replace(/:(\w+)/g, '@$1');
  const list = conn.prepare<[Record<string, unknown>], ListRow>(named(LIST_SQL)).safeIntegers(false);
  const search = conn.prepare(SQLITE_SEARCH);
  const match = conn.prepare(SQLITE_MATCH);
  const purgeSearches = conn.prepare(named(PURGE_SEARCHES));
  const purgeMatches = conn.prepare(named(PURGE_MATCHES));
  const write = conn.transaction((batch: Batch) => {
    for (const [key, at] of batch.searches) {
      const [tag, person] = splitKey(key);
      search.run({ tag, person, at });
    }
    for (const m of batch.matches) match.run({ tag: m.tag, at: m.at, wait: m.waitMs });
  });
  // A Prisma interactive transaction may be open on the shared connection between
  // its awaits: wait it out rather than write inside it (as the SQLite matcher does).
  const idle = async () => {
    while (conn.inTransaction) await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    async write(batch) {
      await idle();
      write.immediate(batch);
    },
    async read(at) {
      await idle();
      return list.all(listParams(at, (ms) => ms));
    },
    async purge(cutoff) {
      await idle();
      return purgeSearches.run({ cutoff }).changes + purgeMatches.run({ cutoff }).changes;
    },
  };
}

function postgresStore(db: Extract<Database, { provider: 'postgresql' }>): Store {
  const { pool } = db;
  const list = pgStatement(LIST_SQL);
  const purgeSearches = PURGE_SEARCHES.replace(':cutoff', '$1');
  const purgeMatches = PURGE_MATCHES.replace(':cutoff', '$1');
  return {
    async write(batch) {
      const searches = [...batch.searches].map(([key, at]) => [...splitKey(key), pgTime(at)] as const);
      await pgRows(pool, PG_FLUSH, [
        searches.map((s) => s[0]),
        searches.map((s) => s[1]),
        searches.map((s) => s[2]),
        batch.matches.map((m) => m.tag),
        batch.matches.map((m) => pgTime(m.at)),
        batch.matches.map((m) => m.waitMs),
      ]);
    },
    read: (at) => list.rows<ListRow>(pool, listParams(at, pgTime)),
    async purge(cutoff) {
      const values = [pgTime(cutoff)];
      const [searches, matches] = await Promise.all([
        pool.query(purgeSearches, values),
        pool.query(purgeMatches, values),
      ]);
      return (searches.rowCount ?? 0) + (matches.rowCount ?? 0);
    },
  };
}
