// SQL that both matchers run, written once with `:name` placeholders that each
// driver's adapter rewrites (better-sqlite3 `@name`, pg `$n`).

import { standingSql } from '../sessions/lookup.ts';

export const SQL = {
  reap: 'DELETE FROM queue_entries WHERE expires_at <= :now',
  deleteEntryBySession: 'DELETE FROM queue_entries WHERE session_id = :session',
  markLeaving: 'UPDATE queue_entries SET present_until = :until WHERE session_id = :session',
  extendPresence: `UPDATE queue_entries SET present_until = :atLeast
                   WHERE session_id = :session AND present_until IS NOT NULL AND present_until < :atLeast`,
  /**
   * The caller's standing, read again inside the enqueue's transaction, with the session's
   * latest chat (a fresh search clears it, and only then needs to write the row).
   */
  standing: standingSql('s.id = :session', ' s.last_chat_id,'),
  status: `
    SELECT e.interests AS "queueInterests", e.expires_at AS "queueExpiresAt",
           e.fallback_at AS "queueFallbackAt", e.present_until AS "queuePresentUntil",
           c.token AS "chatToken", c.matched_interest AS "matchedInterest",
           c.common_interests AS "commonInterests", c.expires_at AS "chatExpiresAt",
           c.ended_at AS "chatEndedAt"
    FROM sessions s
    LEFT JOIN queue_entries e ON e.session_id = s.id AND e.expires_at > :now
    LEFT JOIN chats c ON c.id = s.last_chat_id
    WHERE s.id = :session`,
} as const;

/**
 * The exclusions a partner must pass besides "another person" (SPEC §3, §9), about the
 * waiting entry `e` and the person `:person`: `e`'s person has a free slot, the two share no
 * chat that was active after `:repeatAfter` (an active one, or one inside the repeat
 * cooldown), and no block either way. Both SQLite queries (the enqueue's candidate and the
 * fallback pass's partner) use it; portal_enqueue and portal_fallback_pass spell out the
 * same conditions in PL/pgSQL.
 */
export const PARTNER_ALLOWED = `
      (SELECT COUNT(*) FROM chat_participants c
       WHERE c.person_key = e.person_key AND c.active_until > :now) < e.chat_limit
      -- Rule "no shared chat, no repeat": a chat of the two that is active, or ended
      -- after :repeatAfter (now minus the cooldown), excludes the pair.
      AND NOT EXISTS (
        SELECT 1 FROM chat_participants mine JOIN chat_participants theirs ON theirs.chat_id = mine.chat_id
        WHERE mine.person_key = :person AND mine.active_until > :repeatAfter AND theirs.person_key = e.person_key)
      -- Rule "blocked pairs": a block either way excludes the pair, one index probe each.
      AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_key = :person AND b.blocked_key = e.person_key)
      AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_key = e.person_key AND b.blocked_key = :person)`;
