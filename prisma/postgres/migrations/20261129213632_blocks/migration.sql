-- CreateTable
CREATE TABLE "blocks" (
    "id" TEXT NOT NULL,
    "blocker_key" TEXT NOT NULL,
    "blocked_key" TEXT NOT NULL,
    "chat_id" TEXT NOT NULL,
    "matched_interest" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "blocks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "blocks_blocker_key_blocked_key_key" ON "blocks"("blocker_key", "blocked_key");

-- Reports made before blocks existed block the same way (SPEC §9: a report blocks).
INSERT INTO blocks (id, blocker_key, blocked_key, chat_id, matched_interest, created_at)
SELECT r.id, r.reporter_key, r.reported_key, r.chat_id, c.matched_interest, r.created_at
FROM reports AS r JOIN chats AS c ON c.id = r.chat_id
ON CONFLICT (blocker_key, blocked_key) DO NOTHING;

-- portal_enqueue with the exclusions of SPEC §9 inside the same transaction that
-- picks the partner: blocks either way, and the repeat cooldown (p_repeat_after).
-- The SQLite twin is candidateSql in packages/core/src/matching/sqlite.ts; the
-- shared table of cases in packages/core/test/matching-cases.test.ts runs both.
DROP FUNCTION portal_enqueue(TEXT, TEXT, TEXT[], INTEGER, TIMESTAMP(3), TIMESTAMP(3), TIMESTAMP(3), TEXT, TEXT);

CREATE FUNCTION portal_enqueue(
  p_session TEXT,
  p_person TEXT,
  p_tags TEXT[],
  p_chat_limit INTEGER,
  p_now TIMESTAMP(3),
  p_queue_expires TIMESTAMP(3),
  p_chat_expires TIMESTAMP(3),
  p_chat_id TEXT,
  p_chat_token TEXT,
  p_repeat_after TIMESTAMP(3)
)
RETURNS TABLE (
  r_outcome TEXT,
  r_interests TEXT,
  r_enqueued_at TIMESTAMP(3),
  r_partner_session TEXT,
  r_partner_person TEXT,
  r_partner_enqueued_at TIMESTAMP(3),
  r_matched_interest TEXT,
  r_common_interests TEXT
)
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  mine queue_entries%ROWTYPE;
  has_entry BOOLEAN;
  cand RECORD;
  active_chats INTEGER;
  tag_key INTEGER;
  locked TEXT[] := '{}';
  common TEXT[];
  standing TEXT;
BEGIN
  -- Do not wait for the WAL flush at commit: the advisory locks are held until
  -- the commit ends, so a synchronous flush serialises every enqueue on a tag
  -- behind the disk. A crash may lose the last fraction of a second of queue
  -- changes (never half of one): the same promise SQLite's WAL mode with
  -- synchronous=NORMAL makes.
  PERFORM set_config('synchronous_commit', 'off', true);

  -- Person first, then tags in ascending key order: every enqueue takes them in
  -- this order, so waits cannot form a cycle.
  PERFORM pg_advisory_xact_lock(1, hashtext(p_person));
  FOR tag_key IN SELECT DISTINCT hashtext(t) FROM unnest(p_tags) AS t ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(2, tag_key);
  END LOOP;

  -- From here each statement reads a fresh snapshot (READ COMMITTED, volatile
  -- function): it sees every enqueue that held one of these locks before us.
  SELECT CASE
           WHEN s.revoked_at IS NOT NULL THEN 'revoked'
           WHEN a.suspended_at IS NOT NULL THEN 'suspended'
           WHEN s.blocked_at IS NOT NULL THEN 'blocked'
         END INTO standing
  FROM sessions AS s LEFT JOIN accounts AS a ON a.id = s.account_id
  WHERE s.id = p_session;
  IF standing IS NOT NULL OR NOT FOUND THEN
    RETURN QUERY SELECT COALESCE(standing, 'revoked'), NULL::TEXT, NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT,
                        NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
    RETURN;
  END IF;

  SELECT * INTO mine FROM queue_entries AS e WHERE e.session_id = p_session;
  has_entry := FOUND;
  IF has_entry AND mine.expires_at <= p_now THEN
    DELETE FROM queue_entries AS e WHERE e.seq = mine.seq;
    has_entry := FALSE;
  END IF;

  IF has_entry AND (SELECT array_agg(x ORDER BY x) FROM unnest(string_to_array(mine.interests, ',')) AS x)
                   IS DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM unnest(p_tags) AS x) THEN
    RETURN QUERY SELECT 'already_searching', NULL::TEXT, NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT,
                        NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
    RETURN;
  END IF;

  SELECT COUNT(*) INTO active_chats FROM chat_participants AS c
  WHERE c.person_key = p_person AND c.active_until > p_now;
  IF active_chats >= p_chat_limit THEN
    IF has_entry THEN
      DELETE FROM queue_entries AS e WHERE e.seq = mine.seq;
    END IF;
    RETURN QUERY SELECT 'slot_limit', NULL::TEXT, NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT,
                        NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
    RETURN;
  END IF;

  LOOP
    SELECT e.seq, e.session_id, e.person_key, e.interests, e.enqueued_at INTO cand
    FROM queue_tags AS t JOIN queue_entries AS e ON e.seq = t.entry_seq
    WHERE t.tag = ANY (p_tags) AND t.expires_at > p_now
      AND e.person_key <> p_person
      AND (SELECT COUNT(*) FROM chat_participants AS c
           WHERE c.person_key = e.person_key AND c.active_until > p_now) < e.chat_limit
      -- Rule "no shared chat, no repeat": a chat of the two that is active, or ended
      -- after p_repeat_after (now minus the cooldown), excludes the pair.
      AND NOT EXISTS (
        SELECT 1 FROM chat_participants AS m JOIN chat_participants AS o ON o.chat_id = m.chat_id
        WHERE m.person_key = p_person AND m.active_until > p_repeat_after AND o.person_key = e.person_key)
      -- Rule "blocked pairs": a block either way excludes the pair, one index probe each.
      AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.blocker_key = p_person AND b.blocked_key = e.person_key)
      AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.blocker_key = e.person_key AND b.blocked_key = p_person)
    ORDER BY t.entry_seq
    LIMIT 1;
    EXIT WHEN NOT FOUND;

    IF NOT (cand.person_key = ANY (locked)) THEN
      -- Waiting for the partner's person lock while holding tag locks could
      -- deadlock: try it, and let the caller retry the whole enqueue if busy.
      IF NOT pg_try_advisory_xact_lock(1, hashtext(cand.person_key)) THEN
        RETURN QUERY SELECT 'busy', NULL::TEXT, NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT,
                            NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
        RETURN;
      END IF;
      locked := locked || cand.person_key;
      CONTINUE; -- read again under the lock: that person's slots cannot change now
    END IF;

    -- The claim: an enqueuer holding another of the entry's tags may have taken it.
    DELETE FROM queue_entries AS e WHERE e.seq = cand.seq;
    CONTINUE WHEN NOT FOUND;
    IF has_entry THEN
      DELETE FROM queue_entries AS e WHERE e.seq = mine.seq;
    END IF;

    -- Shared tags in the enqueuer's order; the first is the matched interest
    -- (the same rule as newMatchedChat in rules.ts, used on SQLite).
    SELECT array_agg(u.t ORDER BY u.o) INTO common
    FROM unnest(p_tags) WITH ORDINALITY AS u(t, o)
    WHERE u.t = ANY (string_to_array(cand.interests, ','));

    INSERT INTO chats (id, token, matched_interest, common_interests, created_at, expires_at)
    VALUES (p_chat_id, p_chat_token, common[1], array_to_string(common, ','), p_now, p_chat_expires);
    INSERT INTO chat_participants (chat_id, person_key, session_id, account_id, active_until)
    SELECT p_chat_id, CASE WHEN s.id = p_session THEN p_person ELSE cand.person_key END, s.id, s.account_id, p_chat_expires
    FROM sessions AS s WHERE s.id IN (p_session, cand.session_id);
    UPDATE sessions AS s SET last_chat_id = p_chat_id WHERE s.id IN (p_session, cand.session_id);

    RETURN QUERY SELECT 'matched', mine.interests, CASE WHEN has_entry THEN mine.enqueued_at END,
                        cand.session_id, cand.person_key, cand.enqueued_at,
                        common[1], array_to_string(common, ',');
    RETURN;
  END LOOP;

  IF has_entry THEN
    UPDATE queue_entries AS e SET expires_at = p_queue_expires WHERE e.seq = mine.seq;
    UPDATE queue_tags AS t SET expires_at = p_queue_expires WHERE t.entry_seq = mine.seq;
    RETURN QUERY SELECT 'searching', mine.interests, mine.enqueued_at, NULL::TEXT, NULL::TEXT,
                        NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
    RETURN;
  END IF;

  INSERT INTO queue_entries (session_id, person_key, interests, chat_limit, enqueued_at, expires_at)
  VALUES (p_session, p_person, array_to_string(p_tags, ','), p_chat_limit, p_now, p_queue_expires)
  RETURNING * INTO mine;
  INSERT INTO queue_tags (tag, entry_seq, expires_at)
  SELECT t, mine.seq, p_queue_expires FROM unnest(p_tags) AS t;
  UPDATE sessions AS s SET last_chat_id = NULL WHERE s.id = p_session;
  RETURN QUERY SELECT 'searching', mine.interests, mine.enqueued_at, NULL::TEXT, NULL::TEXT,
                      NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
END
$$;
