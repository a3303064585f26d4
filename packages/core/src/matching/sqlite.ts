import type { SqliteDatabase } from '@portal/db';
import { AppError } from '@portal/contracts';
import { refusalOf, standingOf } from '../principal.ts';
import { fallbackChat, joinTags, newMatchedChat, sameSet, splitTags } from './rules.ts';
import { PARTNER_ALLOWED, SQL } from './sql.ts';
import type {
  CandidateRow,
  MatchedChat,
  EnqueueOutcome,
  EnqueueRequest,
  FallbackPair,
  FallbackPassRequest,
  Matcher,
  OpenEntryRow,
  StatusRow,
} from './types.ts';

// The enqueue's own statements. PostgreSQL runs the same steps server-side, in
// portal_enqueue (prisma/postgres/migrations/..._enqueue_seek, the latest version). Every
// rule below has the same name there; packages/core/test/matching-cases.test.ts runs
// one table of cases against both.

/**
 * Oldest allowed waiting entry over the caller's tags (FIFO by seq): an excluded entry is
 * skipped, the scan goes on to the next one. One arm per tag, each an ordered walk of the
 * (tag, entry_seq) key that stops at its first allowed entry (one index seek per tag);
 * the oldest of those at most three rows wins. A single `tag IN (…)` scan cannot walk the
 * key in seq order: SQLite then ran every exclusion for every waiting entry on those tags
 * and sorted them (or scanned the whole queue in seq order).
 */
function candidateSql(tagCount: number): string {
  const arm = (i: number) => `
    SELECT * FROM (
      SELECT e.seq, e.session_id, e.person_key, e.interests, e.enqueued_at
      FROM queue_tags t JOIN queue_entries e ON e.seq = t.entry_seq
      WHERE t.tag = :tag${i} AND t.expires_at > :now
        AND e.person_key <> :person
        AND ${PARTNER_ALLOWED}
      ORDER BY t.entry_seq
      LIMIT 1)`;
  if (tagCount === 1) return arm(0);
  const arms = Array.from({ length: tagCount }, (_, i) => arm(i)).join('\n    UNION ALL');
  return `SELECT * FROM (${arms}) ORDER BY seq LIMIT 1`;
}

function candidateParams(interests: string[], person: string, now: number, repeatAfter: number) {
  const params: Record<string, unknown> = { now, person, repeatAfter };
  interests.forEach((tag, i) => (params[`tag${i}`] = tag));
  return params;
}

/**
 * The fallback pass's partner for the open entry `:seq` of `:person`: the oldest open entry
 * after it that passes every exclusion. Older open entries were offered this one already
 * (the relation is symmetric), so the scan starts after it.
 */
const FALLBACK_PARTNER = `
    SELECT e.seq, e.session_id, e.person_key, e.chat_limit, e.enqueued_at
    FROM queue_entries e
    WHERE e.fallback_at <= :now AND e.expires_at > :now AND e.seq > :seq
      AND e.person_key <> :person
      AND ${PARTNER_ALLOWED}
    ORDER BY e.seq
    LIMIT 1`;

const LOCAL = {
  entryBySession:
    'SELECT seq, interests, enqueued_at, expires_at, present_until FROM queue_entries WHERE session_id = :session',
  deleteEntry: 'DELETE FROM queue_entries WHERE seq = :seq',
  activeChats: 'SELECT COUNT(*) AS n FROM chat_participants WHERE person_key = :person AND active_until > :now',
  refreshEntry: `UPDATE queue_entries SET expires_at = :expires, fallback_at = :fallbackAt,
                   present_until = CASE WHEN present_until IS NULL THEN :present
                                        ELSE MAX(present_until, :presentAtLeast, COALESCE(:present, 0)) END
                 WHERE seq = :seq`,
  refreshTags: 'UPDATE queue_tags SET expires_at = :expires WHERE entry_seq = :seq',
  insertEntry: `INSERT INTO queue_entries (session_id, person_key, interests, chat_limit, enqueued_at, expires_at,
                                           fallback_at, present_until)
                VALUES (:session, :person, :interests, :limit, :now, :expires, :fallbackAt, :present) RETURNING seq`,
  insertTag: 'INSERT INTO queue_tags (tag, entry_seq, expires_at) VALUES (:tag, :seq, :expires)',
  insertChat: `INSERT INTO chats (id, token, matched_interest, common_interests, created_at, expires_at)
               VALUES (:id, :token, :matched, :common, :now, :expires)`,
  insertParticipant: `INSERT INTO chat_participants (chat_id, person_key, session_id, account_id, active_until)
                      SELECT :chat, :person, s.id, s.account_id, :expires FROM sessions s WHERE s.id = :session`,
  setLastChat: 'UPDATE sessions SET last_chat_id = :chat WHERE id = :session',
  openEntries: `SELECT seq, session_id, person_key, chat_limit, enqueued_at FROM queue_entries
                WHERE fallback_at <= :now AND expires_at > :now ORDER BY seq`,
  sweepAbsent: 'DELETE FROM queue_entries WHERE present_until <= :now RETURNING session_id',
  markPresent:
    'UPDATE queue_entries SET present_until = :until WHERE session_id IN (SELECT value FROM json_each(:sessions))',
} as const;

interface EntryRow {
  seq: number;
  interests: string;
  enqueued_at: number;
  expires_at: number;
  present_until: number | null;
}

interface StandingFlags {
  last_chat_id: string | null;
  revoked: number;
  blocked: number;
  suspended: number;
}

/** An enqueue waiting for its group's transaction (see `enqueue` below). */
interface PendingEnqueue {
  request: EnqueueRequest;
  resolve: (outcome: EnqueueOutcome) => void;
  reject: (error: unknown) => void;
  outcome?: EnqueueOutcome;
  error?: unknown;
}

const named = (sql: string): string => sql.replace(/:(\w+)/g, '@$1');

/**
 * SQLite allows one writer at a time: enqueues run in synchronous `BEGIN IMMEDIATE`
 * transactions on the process's single connection (those of one event-loop turn in one
 * transaction, each in a savepoint: the group commit below), so each sees every earlier
 * enqueue and no other enqueue can interleave. That makes
 * "nobody matched twice" and "no two compatible people both waiting" hold by
 * construction. Prisma shares the connection; its interactive transactions are
 * waited out (`idle`) so the two never nest.
 */
export function createSqliteMatcher(db: SqliteDatabase): Matcher {
  const conn = db.sqlite;
  const prepare = <R = unknown>(sql: string) =>
    conn.prepare<[Record<string, unknown>], R>(named(sql)).safeIntegers(false);
  const s = {
    standing: prepare<StandingFlags>(SQL.standing),
    entryBySession: prepare<EntryRow>(LOCAL.entryBySession),
    deleteEntry: prepare(LOCAL.deleteEntry),
    deleteEntryBySession: prepare(SQL.deleteEntryBySession),
    activeChats: prepare<{ n: number }>(LOCAL.activeChats),
    refreshEntry: prepare(LOCAL.refreshEntry),
    refreshTags: prepare(LOCAL.refreshTags),
    insertEntry: prepare<{ seq: number }>(LOCAL.insertEntry),
    insertTag: prepare(LOCAL.insertTag),
    insertChat: prepare(LOCAL.insertChat),
    insertParticipant: prepare(LOCAL.insertParticipant),
    setLastChat: prepare(LOCAL.setLastChat),
    status: prepare<StatusRow>(SQL.status),
    reap: prepare(SQL.reap),
    candidates: [1, 2, 3].map((n) => prepare<CandidateRow>(candidateSql(n))),
    markPresent: prepare(LOCAL.markPresent),
    markLeaving: prepare(SQL.markLeaving),
    extendPresence: prepare(SQL.extendPresence),
    openEntries: prepare<OpenEntryRow>(LOCAL.openEntries),
    fallbackPartner: prepare<OpenEntryRow>(FALLBACK_PARTNER),
    sweepAbsent: prepare<{ session_id: string }>(LOCAL.sweepAbsent),
  };

  /** One chat for two people: the chat row, both participants, both sessions' latest chat. */
  const insertPair = (chat: MatchedChat, now: number, a: Participant, b: Participant) => {
    s.insertChat.run({
      id: chat.id,
      token: chat.token,
      matched: chat.matchedInterest,
      common: joinTags(chat.commonInterests),
      now,
      expires: chat.expiresAt,
    });
    for (const side of [a, b]) {
      s.insertParticipant.run({ chat: chat.id, person: side.person, session: side.session, expires: chat.expiresAt });
      s.setLastChat.run({ chat: chat.id, session: side.session });
    }
  };

  // One enqueue. Called inside the group's transaction it runs in a savepoint of its own,
  // so a refusal (a throw) undoes its own writes only. A refusal whose writes must stay
  // (the slot limit drops the caller's search) is returned instead of thrown.
  const enqueueTx = conn.transaction((req: EnqueueRequest): EnqueueOutcome | AppError => {
    const { principal: me, interests, now } = req;
    const session = me.sessionId;
    const person = me.personKey;
    // A block, suspension or logout committed since this request authenticated wins.
    const flags = s.standing.get({ session });
    const refusal = flags ? refusalOf(standingOf(flags)) : 'ERR_UNAUTHENTICATED';
    if (refusal) throw new AppError(refusal);
    let entry = s.entryBySession.get({ session });
    if (entry && entry.expires_at <= now) {
      s.deleteEntry.run({ seq: entry.seq });
      entry = undefined;
    }
    if (entry && !sameSet(splitTags(entry.interests), interests)) throw new AppError('ERR_MATCH_ALREADY_SEARCHING');
    if ((s.activeChats.get({ person, now })?.n ?? 0) >= req.chatLimit) {
      // A search that can no longer lead to a chat is dropped, not left to block a partner.
      if (!entry) throw new AppError('ERR_MATCH_SLOT_LIMIT');
      s.deleteEntry.run({ seq: entry.seq });
      return new AppError('ERR_MATCH_SLOT_LIMIT');
    }

    const candidate = s.candidates[interests.length - 1]!.get(candidateParams(interests, person, now, req.repeatAfter));
    if (candidate) {
      const chat = newMatchedChat(interests, splitTags(candidate.interests), now, req.chatTtlMs);
      s.deleteEntry.run({ seq: candidate.seq });
      if (entry) s.deleteEntry.run({ seq: entry.seq });
      insertPair(chat, now, { person, session }, { person: candidate.person_key, session: candidate.session_id });
      return {
        state: 'matched',
        chat,
        waitedMs: entry ? now - entry.enqueued_at : 0,
        partner: {
          sessionId: candidate.session_id,
          personKey: candidate.person_key,
          waitedMs: now - candidate.enqueued_at,
        },
      };
    }

    const expires = now + req.queueTtlMs;
    if (entry) {
      // A refresh keeps when the search began, so the entry opens when it would have.
      const fallbackAt = req.fallbackMs === null ? null : entry.enqueued_at + req.fallbackMs;
      s.refreshEntry.run({
        seq: entry.seq,
        expires,
        fallbackAt,
        present: req.presentUntil,
        presentAtLeast: req.presentAtLeast,
      });
      s.refreshTags.run({ seq: entry.seq, expires });
      return { state: 'searching', interests: splitTags(entry.interests), expiresAt: expires, fallbackAt };
    }
    const fallbackAt = req.fallbackMs === null ? null : now + req.fallbackMs;
    const inserted = s.insertEntry.get({
      session,
      person,
      interests: joinTags(interests),
      limit: req.chatLimit,
      now,
      expires,
      fallbackAt,
      present: req.presentUntil,
    })!;
    for (const tag of interests) s.insertTag.run({ tag, seq: inserted.seq, expires });
    // A new search forgets the previous chat (the status reads it); a row already clear is not rewritten.
    if (flags!.last_chat_id !== null) s.setLastChat.run({ chat: null, session });
    return { state: 'searching', interests, expiresAt: expires, fallbackAt };
  });

  // A Prisma interactive transaction may be open on this connection between its
  // awaits: let it finish rather than nest inside it.
  const idle = async (): Promise<void> => {
    while (conn.inTransaction) await new Promise((resolve) => setImmediate(resolve));
  };

  // Group commit. Each commit appends every page the enqueue changed to the WAL (about 15
  // b-tree pages: the entry, its tags, the chat, both participants, both sessions, and
  // their indexes), and that write, not the queries, was most of an enqueue's time. The
  // enqueues that arrive in one turn of the event loop therefore run in one `BEGIN
  // IMMEDIATE` transaction, one after another, each in its own savepoint: every one still
  // sees all earlier ones, nothing interleaves, and their pages are written once. Nobody
  // is answered before the commit.
  const enqueueGroupTx = conn.transaction((group: PendingEnqueue[]) => {
    for (const pending of group) {
      try {
        const result = enqueueTx(pending.request);
        if (result instanceof AppError) pending.error = result;
        else pending.outcome = result;
      } catch (error) {
        pending.error = error;
      }
    }
  });
  let waiting: PendingEnqueue[] = [];
  const commitGroup = async (): Promise<void> => {
    await idle();
    const group = waiting;
    waiting = [];
    try {
      enqueueGroupTx.immediate(group);
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    for (const pending of group) {
      if (pending.outcome) pending.resolve(pending.outcome);
      else pending.reject(pending.error);
    }
  };

  // The fallback pass: one transaction over every open entry, oldest first. SQLite has
  // one writer, so nothing else changes the queue meanwhile: no entry is paired twice and
  // every pair the rules allow at this moment is made.
  const fallbackTx = conn.transaction((req: FallbackPassRequest): FallbackPair[] => {
    const { now, repeatAfter } = req;
    const pairs: FallbackPair[] = [];
    const taken = new Set<number>();
    for (const me of s.openEntries.all({ now })) {
      if (taken.has(me.seq)) continue;
      if ((s.activeChats.get({ person: me.person_key, now })?.n ?? 0) >= me.chat_limit) continue;
      const partner = s.fallbackPartner.get({ now, repeatAfter, seq: me.seq, person: me.person_key });
      if (!partner) continue;
      taken.add(partner.seq);
      s.deleteEntry.run({ seq: me.seq });
      s.deleteEntry.run({ seq: partner.seq });
      const chat = fallbackChat(now, req.chatTtlMs);
      insertPair(
        chat,
        now,
        { person: me.person_key, session: me.session_id },
        { person: partner.person_key, session: partner.session_id },
      );
      pairs.push({ chat, older: sideOf(me, now), newer: sideOf(partner, now) });
    }
    return pairs;
  });

  return {
    enqueue: (request) =>
      new Promise<EnqueueOutcome>((resolve, reject) => {
        // After this turn's other requests have been read (setImmediate runs after I/O callbacks).
        if (waiting.length === 0) setImmediate(() => void commitGroup());
        waiting.push({ request, resolve, reject });
      }),
    cancel: async (sessionId) => {
      await idle();
      return s.deleteEntryBySession.run({ session: sessionId }).changes > 0;
    },
    status: async (sessionId, now) => {
      await idle();
      return s.status.get({ session: sessionId, now });
    },
    reap: async (now) => {
      await idle();
      return s.reap.run({ now }).changes;
    },
    markPresent: async (sessionIds, until) => {
      await idle();
      s.markPresent.run({ sessions: JSON.stringify(sessionIds), until });
    },
    markLeaving: async (session, until) => {
      await idle();
      s.markLeaving.run({ session, until });
    },
    extendPresence: async (session, atLeast) => {
      await idle();
      s.extendPresence.run({ session, atLeast });
    },
    sweepAbsent: async (now) => {
      await idle();
      return s.sweepAbsent.all({ now }).map((row) => row.session_id);
    },
    fallbackPass: async (request) => {
      await idle();
      return fallbackTx.immediate(request);
    },
  };
}

interface Participant {
  person: string;
  session: string;
}

const sideOf = (entry: OpenEntryRow, now: number) => ({
  sessionId: entry.session_id,
  personKey: entry.person_key,
  waitedMs: now - entry.enqueued_at,
});
