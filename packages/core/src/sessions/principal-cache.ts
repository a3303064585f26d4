import type { Database } from '@portal/db';
import type { EventBus, PortalEvent } from '../realtime/events.ts';

/**
 * What authentication reads for a token hash: the columns a Principal is computed
 * from. The cache keeps these rows, never a computed Principal, so that expiry and
 * the hourly renewal are worked out against the clock on every request.
 */
export interface PrincipalRow {
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

const CAUGHT_UP = Promise.resolve(true);

/** `begin()`'s answer while the cache must not be used: nothing read from it, nothing stored. */
export const BYPASS = -1;

/**
 * This instance's copy of the sessions it authenticated lately, keyed by token hash
 * (docs/sessions.md, "The principal cache").
 *
 * Only sessions that were found and live are stored, at most `maxEntries` of them:
 * the least recently used goes first, so unknown or forged tokens never grow it.
 * Entries are also indexed by session id and by account id, because that is how
 * changes are announced: `disconnect` and `principal_changed` events name sessions
 * or a person (an account id, or a stranger's session id).
 *
 * A row read from the database is stored only if no invalidation happened since the
 * read began (`begin()` returns a stamp, `put` compares it): a read that raced a
 * change cannot put the old row back after the change dropped it.
 */
export interface PrincipalCache {
  /**
   * Called first by every lookup. Returns the stamp to store a database row with, or
   * BYPASS while the cache cannot be trusted (the bus is not listening: events may be
   * lost). On SQLite it also clears the cache when another connection committed.
   */
  begin(): number;
  /**
   * Whether a row is kept for this token hash (without counting as a use). On
   * PostgreSQL a lookup that finds one waits for `caughtUp()` before trusting it.
   */
  has(tokenHash: string): boolean;
  /**
   * Resolves true once every change announced before the call (by Portal's services or
   * by the database's triggers, on any instance or process) has dropped its entries
   * here: the bus's fence (EventBus.caughtUp). False when that cannot be known: the
   * lookup then reads the database.
   */
  caughtUp(): Promise<boolean>;
  get(tokenHash: string): PrincipalRow | undefined;
  put(tokenHash: string, row: PrincipalRow, stamp: number): void;
  drop(tokenHash: string): void;
  /**
   * The bus the core's services publish on: publishing a `disconnect` or a
   * `principal_changed` drops the entries here at once, before the event even leaves
   * (on PostgreSQL this instance's own copy of it comes back later, through LISTEN,
   * like everyone else's). Events from the bus (every instance's) are applied too,
   * and `resync` clears everything.
   */
  watch(bus: EventBus): EventBus;
  readonly size: number;
}

export function createPrincipalCache(db: Database, maxEntries: number): PrincipalCache {
  // Map iteration follows insertion order: re-inserting on every hit keeps the least
  // recently used first, where eviction takes it.
  const rows = new Map<string, PrincipalRow>();
  const bySession = new Map<string, string>();
  const byAccount = new Map<string, Set<string>>();
  let generation = 0;
  let bus: EventBus | undefined;
  /** The last lookup found the bus not listening. */
  let deaf = false;

  // SQLite: the operator's command line (and anything else) writes through its own
  // connection, and its local bus never reaches this process. data_version changes
  // only when another connection committed: one cheap read per lookup (about a
  // microsecond, docs/sessions.md) tells, and then everything is dropped. Writes
  // through this process's own connection leave it alone; they are announced.
  const dataVersion =
    db.provider === 'sqlite'
      ? db.sqlite.prepare<[], number>('PRAGMA data_version').pluck().safeIntegers(false)
      : undefined;
  let seenVersion = dataVersion?.get();

  function remove(tokenHash: string): void {
    const row = rows.get(tokenHash);
    if (!row) return;
    rows.delete(tokenHash);
    if (bySession.get(row.id) === tokenHash) bySession.delete(row.id);
    if (row.account_id === null) return;
    const hashes = byAccount.get(row.account_id);
    hashes?.delete(tokenHash);
    if (hashes?.size === 0) byAccount.delete(row.account_id);
  }

  function clear(): void {
    generation++;
    rows.clear();
    bySession.clear();
    byAccount.clear();
  }

  function forget(sessions: string[] | undefined, person: string | undefined): void {
    generation++;
    for (const id of sessions ?? []) {
      const hash = bySession.get(id);
      if (hash !== undefined) remove(hash);
    }
    if (person === undefined) return;
    for (const hash of [...(byAccount.get(person) ?? [])]) remove(hash);
    // A stranger's person key is their session id.
    const hash = bySession.get(person);
    if (hash !== undefined) remove(hash);
  }

  function apply(event: PortalEvent): void {
    if (event.type === 'disconnect' || event.type === 'principal_changed') forget(event.sessions, event.person);
    else if (event.type === 'resync') clear();
  }

  return {
    begin() {
      if (bus && !bus.listening()) {
        if (!deaf) clear();
        deaf = true;
        return BYPASS;
      }
      if (deaf) {
        // Listening again: whatever was announced meanwhile never arrived (`resync`
        // says so too, a moment later).
        deaf = false;
        clear();
      }
      if (dataVersion) {
        const version = dataVersion.get();
        if (version !== seenVersion) {
          seenVersion = version;
          clear();
        }
      }
      return generation;
    },

    has: (tokenHash) => rows.has(tokenHash),

    caughtUp: () => (bus ? bus.caughtUp() : CAUGHT_UP),

    get(tokenHash) {
      const row = rows.get(tokenHash);
      if (row !== undefined) {
        rows.delete(tokenHash);
        rows.set(tokenHash, row);
      }
      return row;
    },

    put(tokenHash, row, stamp) {
      // A read that began before the listener was lost may end after it.
      if (stamp !== generation || (bus && !bus.listening())) return;
      remove(tokenHash);
      // One token per session: a row under the session's previous token (a stranger
      // who registered gets a new one) is stale, and would escape the session index.
      const previous = bySession.get(row.id);
      if (previous !== undefined) remove(previous);
      rows.set(tokenHash, row);
      bySession.set(row.id, tokenHash);
      if (row.account_id !== null) {
        const hashes = byAccount.get(row.account_id);
        if (hashes) hashes.add(tokenHash);
        else byAccount.set(row.account_id, new Set([tokenHash]));
      }
      if (rows.size > maxEntries) remove(rows.keys().next().value!);
    },

    drop: remove,

    watch(inner) {
      bus = inner;
      inner.subscribe(apply);
      return {
        publish(event) {
          apply(event);
          return inner.publish(event);
        },
        subscribe: (listener) => inner.subscribe(listener),
        listening: () => inner.listening(),
        caughtUp: () => inner.caughtUp(),
        close: () => inner.close(),
      };
    },

    get size() {
      return rows.size;
    },
  };
}
