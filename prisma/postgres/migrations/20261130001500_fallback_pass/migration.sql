-- SPEC §9: fallback to anyone, and presence. portal_enqueue gains three parameters:
-- p_fallback_ms (NULL = the caller did not agree; the entry opens that long after its
-- search began, and a refresh keeps that moment), p_present_until (a socket of the
-- session is open on the calling instance; NULL when none is seen) and
-- p_present_at_least (an enqueue again shows presence). Everything else is unchanged
-- from 20261129213632_blocks. The SQLite twin is packages/core/src/matching/sqlite.ts.
DROP FUNCTION portal_enqueue(TEXT, TEXT, TEXT[], INTEGER, TIMESTAMP(3), TIMESTAMP(3), TIMESTAMP(3), TEXT, TEXT, TIMESTAMP(3));

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
  p_repeat_after TIMESTAMP(3),
  p_fallback_ms INTEGER,
  p_present_until TIMESTAMP(3),
  p_present_at_least TIMESTAMP(3)
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
    -- A refresh keeps when the search began (the entry opens when it would have), and
    -- counts as presence: an entry that had a socket stays at least p_present_at_least.
    UPDATE queue_entries AS e
    SET expires_at = p_queue_expires,
        fallback_at = mine.enqueued_at + make_interval(secs => p_fallback_ms / 1000.0),
        present_until = CASE WHEN e.present_until IS NULL THEN p_present_until
                             ELSE GREATEST(e.present_until, p_present_at_least, p_present_until) END
    WHERE e.seq = mine.seq;
    UPDATE queue_tags AS t SET expires_at = p_queue_expires WHERE t.entry_seq = mine.seq;
    RETURN QUERY SELECT 'searching', mine.interests, mine.enqueued_at, NULL::TEXT, NULL::TEXT,
                        NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
    RETURN;
  END IF;

  INSERT INTO queue_entries (session_id, person_key, interests, chat_limit, enqueued_at, expires_at,
                             fallback_at, present_until)
  VALUES (p_session, p_person, array_to_string(p_tags, ','), p_chat_limit, p_now, p_queue_expires,
          p_now + make_interval(secs => p_fallback_ms / 1000.0), p_present_until)
  RETURNING * INTO mine;
  INSERT INTO queue_tags (tag, entry_seq, expires_at)
  SELECT t, mine.seq, p_queue_expires FROM unnest(p_tags) AS t;
  UPDATE sessions AS s SET last_chat_id = NULL WHERE s.id = p_session;
  RETURN QUERY SELECT 'searching', mine.interests, mine.enqueued_at, NULL::TEXT, NULL::TEXT,
                      NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
END
$$;

-- The fallback pass (SPEC §9): pairs open entries (fallback_at passed, deadline not)
-- with each other, oldest first, under the same person locks as portal_enqueue.
-- Every instance calls it about twice a second. Why that is exactly once:
--
-- - The lease. A transaction-scoped try-lock on (3, 0): one pass runs at a time over
--   the whole database. An instance that does not get it returns at once: the pass
--   running elsewhere pairs everything open when it reads the queue, and whatever
--   opens later is seen by the next pass, at most half a second on. So two instances
--   never pair one entry twice, and a pair is never skipped by both.
-- - Against enqueues, cancels, blocks and the presence sweep, which do not take the
--   lease: every one of them changes a person's entries or chats only under that
--   person's lock (1, hashtext(person)). The pass takes both people's person locks
--   with try-locks (it never waits, so it cannot deadlock with an enqueue holding tag
--   locks) and reads the entry and the partner again under them. A busy person is
--   skipped until the next pass. An entry an enqueue claimed meanwhile is gone when
--   read again; the claim DELETE settles the rest.
-- - The partner query carries every exclusion of portal_enqueue's candidate query
--   (another person, a free slot, no shared or recent chat, no block either way),
--   read under both locks, so a block racing the pass is seen or ends the chat.
-- - p_chat_ids/p_chat_tokens bound the pairs per call; the caller calls again while
--   the arrays run out.
CREATE FUNCTION portal_fallback_pass(
  p_now TIMESTAMP(3),
  p_repeat_after TIMESTAMP(3),
  p_chat_expires TIMESTAMP(3),
  p_chat_ids TEXT[],
  p_chat_tokens TEXT[]
)
RETURNS TABLE (
  r_chat_id TEXT,
  r_chat_token TEXT,
  r_older_session TEXT,
  r_older_person TEXT,
  r_older_enqueued_at TIMESTAMP(3),
  r_newer_session TEXT,
  r_newer_person TEXT,
  r_newer_enqueued_at TIMESTAMP(3)
)
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  me RECORD;
  cand RECORD;
  made INTEGER := 0;
  active_chats INTEGER;
  locked TEXT[] := '{}';
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  IF NOT pg_try_advisory_xact_lock(3, 0) THEN
    RETURN;
  END IF;

  FOR me IN
    SELECT e.seq, e.session_id, e.person_key, e.chat_limit, e.enqueued_at
    FROM queue_entries AS e
    WHERE e.fallback_at <= p_now AND e.expires_at > p_now
    ORDER BY e.seq
  LOOP
    EXIT WHEN made >= cardinality(p_chat_ids);
    IF NOT (me.person_key = ANY (locked)) THEN
      CONTINUE WHEN NOT pg_try_advisory_xact_lock(1, hashtext(me.person_key));
      locked := locked || me.person_key;
    END IF;
    -- Read again under the lock: an enqueue may have claimed it, a cancel removed it.
    PERFORM 1 FROM queue_entries AS e WHERE e.seq = me.seq AND e.fallback_at <= p_now AND e.expires_at > p_now;
    CONTINUE WHEN NOT FOUND;
    SELECT COUNT(*) INTO active_chats FROM chat_participants AS c
    WHERE c.person_key = me.person_key AND c.active_until > p_now;
    CONTINUE WHEN active_chats >= me.chat_limit;

    LOOP
      SELECT e.seq, e.session_id, e.person_key, e.enqueued_at INTO cand
      FROM queue_entries AS e
      WHERE e.fallback_at <= p_now AND e.expires_at > p_now AND e.seq > me.seq
        AND e.person_key <> me.person_key
        AND (SELECT COUNT(*) FROM chat_participants AS c
             WHERE c.person_key = e.person_key AND c.active_until > p_now) < e.chat_limit
        AND NOT EXISTS (
          SELECT 1 FROM chat_participants AS m JOIN chat_participants AS o ON o.chat_id = m.chat_id
          WHERE m.person_key = me.person_key AND m.active_until > p_repeat_after AND o.person_key = e.person_key)
        AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.blocker_key = me.person_key AND b.blocked_key = e.person_key)
        AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.blocker_key = e.person_key AND b.blocked_key = me.person_key)
      ORDER BY e.seq
      LIMIT 1;
      EXIT WHEN NOT FOUND;
      IF NOT (cand.person_key = ANY (locked)) THEN
        -- Busy: that person is enqueuing, cancelling or being blocked right now. Leave
        -- this entry to the next pass rather than take a younger partner out of turn.
        EXIT WHEN NOT pg_try_advisory_xact_lock(1, hashtext(cand.person_key));
        locked := locked || cand.person_key;
        CONTINUE; -- read again under the lock
      END IF;
      DELETE FROM queue_entries AS e WHERE e.seq = cand.seq;
      CONTINUE WHEN NOT FOUND;
      DELETE FROM queue_entries AS e WHERE e.seq = me.seq;
      made := made + 1;
      INSERT INTO chats (id, token, matched_interest, common_interests, created_at, expires_at)
      VALUES (p_chat_ids[made], p_chat_tokens[made], NULL, '', p_now, p_chat_expires);
      INSERT INTO chat_participants (chat_id, person_key, session_id, account_id, active_until)
      SELECT p_chat_ids[made], CASE WHEN s.id = me.session_id THEN me.person_key ELSE cand.person_key END,
             s.id, s.account_id, p_chat_expires
      FROM sessions AS s WHERE s.id IN (me.session_id, cand.session_id);
      UPDATE sessions AS s SET last_chat_id = p_chat_ids[made] WHERE s.id IN (me.session_id, cand.session_id);
      RETURN QUERY SELECT p_chat_ids[made], p_chat_tokens[made], me.session_id, me.person_key, me.enqueued_at,
                          cand.session_id, cand.person_key, cand.enqueued_at;
      EXIT;
    END LOOP;
  END LOOP;
END
$$;
