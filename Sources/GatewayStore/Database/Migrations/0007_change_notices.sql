-- Change notices: each commit that changes what a waiting process cares about sends one
-- NOTIFY on `gateway_changes` (Postgres folds duplicates within a transaction), so the
-- matcher, the webhook workers and the checkout event streams wake at once instead of polling.
-- Payloads: `transfers`, `outbox`, `session:<id>`, `checkpoint:<network>`.

CREATE FUNCTION notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_changes', TG_ARGV[0]);
    RETURN NULL;
END;
$$;

CREATE TRIGGER transfer_changes_notify AFTER INSERT ON transfer_changes
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('transfers');
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('outbox');
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('outbox');

CREATE FUNCTION notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_changes', 'session:' || NEW.session_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION notify_session_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_changes', 'session:' || NEW.id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER payment_sessions_notify AFTER UPDATE ON payment_sessions
    FOR EACH ROW EXECUTE FUNCTION notify_session_row_change();
CREATE TRIGGER session_payments_notify AFTER INSERT OR UPDATE ON session_payments
    FOR EACH ROW EXECUTE FUNCTION notify_session_change();

CREATE FUNCTION notify_checkpoint_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_changes', 'checkpoint:' || NEW.network);
    RETURN NULL;
END;
$$;

CREATE TRIGGER monitor_checkpoints_notify AFTER INSERT OR UPDATE ON monitor_checkpoints
    FOR EACH ROW EXECUTE FUNCTION notify_checkpoint_change();
