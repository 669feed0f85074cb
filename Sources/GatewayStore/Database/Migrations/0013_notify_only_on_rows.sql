-- A statement-level trigger fires even when its statement inserted no row. The webhook workers'
-- dispatch is an INSERT … SELECT into webhook_deliveries that usually inserts nothing, and its
-- notice woke every worker again at once: an idle gateway ran hundreds of transactions a second.
-- These triggers now notify only when their statement inserted at least one row.

CREATE FUNCTION notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('gateway_changes', TG_ARGV[0]);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER transfer_changes_notify ON transfer_changes;
CREATE TRIGGER transfer_changes_notify AFTER INSERT ON transfer_changes REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notify_inserted('transfers');

DROP TRIGGER outbox_events_notify ON outbox_events;
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notify_inserted('outbox');

DROP TRIGGER webhook_deliveries_notify ON webhook_deliveries;
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON webhook_deliveries REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notify_inserted('outbox');
