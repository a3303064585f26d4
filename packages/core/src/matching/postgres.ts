import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import type { PostgresDatabase } from '@portal/db';
import { AppError } from '@portal/contracts';
import { pgRows, pgStatement, pgTime } from '../sql.ts';
import { newChatToken, newId } from '../tokens.ts';
import { refusalOf } from '../principal.ts';
import { splitTags } from './rules.ts';
import { SQL } from './sql.ts';
import type { EnqueueOutcome, EnqueueRequest, FallbackPair, FallbackPassRequest, Matcher, StatusRow } from './types.ts';

/**
 * Why matching is atomic on PostgreSQL (READ COMMITTED, several app instances).
 * The enqueue runs server-side in `portal_enqueue` (prisma/postgres/migrations/
 * ..._enqueue_seek, its latest version; the fallback pass is portal_fallback_pass in
 * ..._fallback_pass), one round trip, so its locks are held only for the
 * database's own work:
 *
 * - It first takes transaction-scoped advisory locks on its person, then on
 *   each tag in ascending key order. Everyone takes them in that order, so lock
 *   waits cannot form a cycle.
 * - Two compatible people share a tag, hence a tag lock: the second to get it
 *   reads candidates with a snapshot taken after the first committed (locks
 *   are released only once the commit is visible) and sees the first's entry.
 *   So two compatible people never both end up waiting.
 * - Two enqueuers holding different tag locks can still pick one waiting entry
 *   that carries both tags. The claim is a DELETE: the second blocks on the
 *   row, then deletes nothing and searches again. Nobody is matched twice.
 * - A block, suspension or logout takes the same person lock around its
 *   writes, and the function re-reads the caller's standing under it: an
 *   enqueue racing one either finishes first (and is then undone) or is refused.
 * - Slots count per person, and a person may search from several sessions. The
 *   candidate's person lock is taken with a try-lock (waiting for it while
 *   holding tag locks could deadlock) and the candidate is read again under it;
 *   if that person is busy, the function answers `busy` and the enqueue retries.
 * - Blocks and the repeat cooldown are conditions of the candidate query itself,
 *   read under the candidate's person lock. A block takes both people's person
 *   locks and commits the block row and the chat's end together, so the claim sees
 *   either the shared active chat or the block: never neither.
 * `SKIP LOCKED` alone was measured to strand pairs (STACK.md), so it is not used.
 */
export function createPostgresMatcher(db: PostgresDatabase): Matcher {
  const { pool } = db;
  const q = {
    deleteEntryBySession: pgStatement(`${SQL.deleteEntryBySession} RETURNING seq`),
    status: pgStatement(SQL.status),
    reap: pgStatement(`${SQL.reap} RETURNING seq`),
    markPresent: pgStatement(
      'UPDATE queue_entries SET present_until = :until WHERE session_id = ANY(:sessions::text[])',
    ),
    markLeaving: pgStatement(SQL.markLeaving),
    extendPresence: pgStatement(SQL.extendPresence),
    // Under the person's lock, as every change to a person's entry: an enqueue refreshing
    // this entry right now is not undone behind its back (the entry waits for the next sweep).
    sweepAbsent: pgStatement(`DELETE FROM queue_entries
                              WHERE present_until <= :now AND pg_try_advisory_xact_lock(1, hashtext(person_key))
                              RETURNING session_id`),
  };

  async function fallbackPassOnce(req: FallbackPassRequest): Promise<FallbackPair[]> {
    const chats = Array.from({ length: PAIRS_PER_PASS_CALL }, () => ({ id: newId(), token: newChatToken() }));
    const rows = await pgRows<FallbackRow>(pool, FALLBACK_PASS, [
      pgTime(req.now),
      pgTime(req.repeatAfter),
      pgTime(req.now + req.chatTtlMs),
      chats.map((chat) => chat.id),
      chats.map((chat) => chat.token),
    ]);
    return rows.map((row) => ({
      chat: {
        id: row.r_chat_id,
        token: row.r_chat_token,
        matchedInterest: null,
        commonInterests: [],
        expiresAt: req.now + req.chatTtlMs,
      },
      older: {
        sessionId: row.r_older_session,
        personKey: row.r_older_person,
        waitedMs: req.now - row.r_older_enqueued_at,
      },
      newer: {
        sessionId: row.r_newer_session,
        personKey: row.r_newer_person,
        waitedMs: req.now - row.r_newer_enqueued_at,
      },
    }));
  }

  async function enqueueOnce(req: EnqueueRequest): Promise<EnqueueOutcome | 'busy'> {
    const { principal: me, interests, now } = req;
    const chatId = newId();
    const token = newChatToken();
    const [row] = await pgRows<EnqueueRow>(pool, ENQUEUE, [
      me.sessionId,
      me.personKey,
      interests,
      req.chatLimit,
      pgTime(now),
      pgTime(now + req.queueTtlMs),
      pgTime(now + req.chatTtlMs),
      chatId,
      token,
      pgTime(req.repeatAfter),
      req.fallbackMs,
      req.presentUntil === null ? null : pgTime(req.presentUntil),
      pgTime(req.presentAtLeast),
    ]);
    switch (row?.r_outcome) {
      case 'busy':
        return 'busy';
      case 'revoked':
      case 'suspended':
      case 'blocked':
        throw new AppError(refusalOf(row.r_outcome)!);
      case 'already_searching':
        throw new AppError('ERR_MATCH_ALREADY_SEARCHING');
      case 'slot_limit':
        throw new AppError('ERR_MATCH_SLOT_LIMIT');
      case 'searching':
        return {
          state: 'searching',
          interests: splitTags(row.r_interests!),
          expiresAt: now + req.queueTtlMs,
          fallbackAt: req.fallbackMs === null ? null : row.r_enqueued_at! + req.fallbackMs,
        };
      case 'matched':
        return {
          state: 'matched',
          chat: {
            id: chatId,
            token,
            matchedInterest: row.r_matched_interest!,
            commonInterests: splitTags(row.r_common_interests!),
            expiresAt: now + req.chatTtlMs,
          },
          waitedMs: row.r_enqueued_at == null ? 0 : now - row.r_enqueued_at,
          partner: {
            sessionId: row.r_partner_session!,
            personKey: row.r_partner_person!,
            waitedMs: now - row.r_partner_enqueued_at!,
          },
        };
      default:
        throw new Error(`portal_enqueue answered ${String(row?.r_outcome)}`);
    }
  }

  return {
    async enqueue(request) {
      for (let attempt = 1; ; attempt++) {
        const outcome = await enqueueOnce(request);
        if (outcome !== 'busy') return outcome;
        if (attempt >= MAX_ATTEMPTS) throw new Error('enqueue gave up: partner locks stayed busy');
        // Someone holds the partner's person lock for a moment: step back briefly.
        await delay(1 + Math.random() * 4);
      }
    },
    cancel: (sessionId, personKey) =>
      inTransaction(pool, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(1, hashtext($1))', [personKey]);
        return (await q.deleteEntryBySession.rows(tx, { session: sessionId })).length > 0;
      }),
    status: async (sessionId, now) =>
      (await q.status.rows<StatusRow>(pool, { session: sessionId, now: pgTime(now) }))[0],
    reap: async (now) => (await q.reap.rows(pool, { now: pgTime(now) })).length,
    markPresent: async (sessionIds, until) => {
      await q.markPresent.rows(pool, { sessions: sessionIds, until: pgTime(until) });
    },
    markLeaving: async (session, until) => {
      await q.markLeaving.rows(pool, { session, until: pgTime(until) });
    },
    extendPresence: async (session, atLeast) => {
      await q.extendPresence.rows(pool, { session, atLeast: pgTime(atLeast) });
    },
    sweepAbsent: async (now) =>
      (await q.sweepAbsent.rows<{ session_id: string }>(pool, { now: pgTime(now) })).map((row) => row.session_id),
    async fallbackPass(request) {
      const pairs: FallbackPair[] = [];
      for (;;) {
        const made = await fallbackPassOnce(request);
        pairs.push(...made);
        if (made.length < PAIRS_PER_PASS_CALL) return pairs;
      }
    },
  };
}

const FALLBACK_PASS = 'SELECT * FROM portal_fallback_pass($1, $2, $3, $4::text[], $5::text[])';
/** Chat ids and tokens handed to one portal_fallback_pass call; it is called again while they run out. */
const PAIRS_PER_PASS_CALL = 32;

interface FallbackRow {
  r_chat_id: string;
  r_chat_token: string;
  r_older_session: string;
  r_older_person: string;
  r_older_enqueued_at: number;
  r_newer_session: string;
  r_newer_person: string;
  r_newer_enqueued_at: number;
}

const ENQUEUE = 'SELECT * FROM portal_enqueue($1, $2, $3::text[], $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)';

interface EnqueueRow {
  r_outcome:
    'busy' | 'revoked' | 'suspended' | 'blocked' | 'already_searching' | 'slot_limit' | 'searching' | 'matched';
  r_interests: string | null;
  r_enqueued_at: number | null;
  r_partner_session: string | null;
  r_partner_person: string | null;
  r_partner_enqueued_at: number | null;
  r_matched_interest: string | null;
  r_common_interests: string | null;
}

const MAX_ATTEMPTS = 100;

async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}
