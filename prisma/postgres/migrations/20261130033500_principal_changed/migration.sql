-- The principal cache (docs/sessions.md): every instance keeps the session rows it
-- authenticated lately, and drops one when its `principal_changed` event arrives on
-- the event bus's channel. Portal's services announce their own changes; these
-- triggers make the database announce every committed change to what a principal is
-- made of, whoever wrote it (another tool, an operator's psql, a test), so that no
-- writer can leave a stale session behind on any instance.
--
-- Not announced: last_seen_at moving forward (the hourly renewal; instances re-read a
-- row whose last_seen_at is an hour old anyway) and inserts (nothing cached yet).
-- The payload is the bus's JSON event, small: one session id or one account id.
CREATE FUNCTION portal_announce_principal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'accounts' THEN
    PERFORM pg_notify('portal_events', json_build_object('type', 'principal_changed', 'person', OLD.id)::text);
  ELSE
    PERFORM pg_notify('portal_events',
      json_build_object('type', 'principal_changed', 'sessions', json_build_array(OLD.id))::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER sessions_principal_changed AFTER UPDATE ON sessions FOR EACH ROW
  WHEN (OLD.token_hash IS DISTINCT FROM NEW.token_hash
     OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
     OR OLD.blocked_at IS DISTINCT FROM NEW.blocked_at
     OR OLD.account_id IS DISTINCT FROM NEW.account_id
     OR OLD.created_at IS DISTINCT FROM NEW.created_at
     OR NEW.last_seen_at < OLD.last_seen_at)
  EXECUTE FUNCTION portal_announce_principal();

-- A revoked session is already out of every cache (its revocation was announced).
CREATE TRIGGER sessions_principal_deleted AFTER DELETE ON sessions FOR EACH ROW
  WHEN (OLD.revoked_at IS NULL)
  EXECUTE FUNCTION portal_announce_principal();

CREATE TRIGGER accounts_principal_changed AFTER UPDATE ON accounts FOR EACH ROW
  WHEN (OLD.username IS DISTINCT FROM NEW.username
     OR OLD.plan IS DISTINCT FROM NEW.plan
     OR OLD.role IS DISTINCT FROM NEW.role
     OR OLD.suspended_at IS DISTINCT FROM NEW.suspended_at)
  EXECUTE FUNCTION portal_announce_principal();

CREATE TRIGGER accounts_principal_deleted AFTER DELETE ON accounts FOR EACH ROW
  EXECUTE FUNCTION portal_announce_principal();
