// SQL that both matchers run, written once with `:name` placeholders that each
// driver's adapter rewrites (better-sqlite3 `@name`, pg `$n`).

import { standingSql } from '../sessions/lookup.ts';

export const SQL = {
  reap: 'DELETE FROM queue_entries WHERE expires_at <= :now',
  deleteEntryBySession: 'DELETE FROM queue_entries WHERE session_id = :session',
  /** The caller's standing, read again inside the enqueue's transaction. */
  standing: standingSql('s.id = :session'),
  status: `
    SELECT e.interests AS "queueInterests", e.expires_at AS "queueExpiresAt",
           c.token AS "chatToken", c.matched_interest AS "matchedInterest",
           c.common_interests AS "commonInterests", c.expires_at AS "chatExpiresAt",
           c.ended_at AS "chatEndedAt"
    FROM sessions s
    LEFT JOIN queue_entries e ON e.session_id = s.id AND e.expires_at > :now
    LEFT JOIN chats c ON c.id = s.last_chat_id
    WHERE s.id = :session`,
} as const;
