-- portal_enqueue, restated whole (CREATE OR REPLACE, same parameters and result) from
-- 20261130001500_fallback_pass with two changes, no rule changed:
--
-- - The candidate is found per tag by an ordered walk of queue_tags' (tag, entry_seq) key,
--   one index seek for each entry looked at, instead of one query over `tag = ANY (p_tags)`
--   ordered by seq. For that query the planner walked queue_tags by entry_seq over the
--   whole queue (every searcher on another tag was read and filtered out: about 2,000 rows
--   for each enqueue of the benchmark, whose status-poll sessions wait on tags of their
--   own), or read every entry on the tags and ran the exclusions on each before sorting.
-- - A fresh search clears sessions.last_chat_id only when it is set (it is read with the
--   standing), so a session's first search writes no sessions row.
--
-- The SQLite twin is packages/core/src/matching/sqlite.ts (candidateSql).
CREATE OR REPLACE FUNCTION portal_enqueue(
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
  last_chat TEXT;
  tag_name TEXT;
  tags_in_order TEXT[];
  bound INTEGER;
  after_seq INTEGER;
  next_seq INTEGER;
  row_found RECORD;
  have_cand BOOLEAN;
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
         END, s.last_chat_id INTO standing, last_chat
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

  SELECT array_agg(DISTINCT x) INTO tags_in_order FROM unnest(p_tags) AS x;
  LOOP
    -- The candidate: the oldest allowed waiting entry over the caller's tags (FIFO by seq;
    -- an excluded entry is skipped, the walk goes on to the next one). Per tag, an ordered
    -- walk of the (tag, entry_seq) key, one seek for each entry looked at, that stops at
    -- the first allowed one and never goes past the best found on an earlier tag. One
    -- query over `tag = ANY (p_tags)` cannot walk the key in seq order: the planner scanned
    -- the whole queue by seq (or every entry on the tags, then sorted), running the
    -- exclusions for each. The SQLite twin (candidateSql) has one such arm per tag.
    have_cand := FALSE;
    bound := 2147483647;
    FOREACH tag_name IN ARRAY tags_in_order LOOP
      after_seq := 0;
      LOOP
        SELECT t.entry_seq INTO next_seq FROM queue_tags AS t
        WHERE t.tag = tag_name AND t.entry_seq > after_seq AND t.entry_seq < bound AND t.expires_at > p_now
        ORDER BY t.entry_seq
        LIMIT 1;
        EXIT WHEN NOT FOUND;
        SELECT e.seq, e.session_id, e.person_key, e.interests, e.enqueued_at INTO row_found
        FROM queue_entries AS e
        WHERE e.seq = next_seq
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
          AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.blocker_key = e.person_key AND b.blocked_key = p_person);
        IF FOUND THEN
          cand := row_found;
          have_cand := TRUE;
          bound := next_seq;
          EXIT;
        END IF;
        after_seq := next_seq;
      END LOOP;
    END LOOP;
    EXIT WHEN NOT have_cand;

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
  -- A new search forgets the previous chat (the status reads it); a row already clear is not rewritten.
  IF last_chat IS NOT NULL THEN
    UPDATE sessions AS s SET last_chat_id = NULL WHERE s.id = p_session;
  END IF;
  RETURN QUERY SELECT 'searching', mine.interests, mine.enqueued_at, NULL::TEXT, NULL::TEXT,
                      NULL::TIMESTAMP(3), NULL::TEXT, NULL::TEXT;
END
$$;
