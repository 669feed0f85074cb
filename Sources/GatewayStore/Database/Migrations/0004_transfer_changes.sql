-- The outbox carries merchants' events only; delivery is tracked per endpoint in
-- webhook_deliveries, so the event-level delivered flag was never used. The monitor's transfer
-- changes reach the session matcher through transfer_changes (0002), not the outbox; each
-- queue entry now also records the state the transfer moved to.

DROP INDEX outbox_events_undelivered;
ALTER TABLE outbox_events DROP COLUMN delivered_at;
DELETE FROM outbox_events WHERE merchant_id IS NULL AND type LIKE 'transfer.%';

ALTER TABLE transfer_changes ADD COLUMN state text CHECK (state IN ('seen', 'confirmed', 'removed'));

CREATE OR REPLACE FUNCTION queue_transfer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
        INSERT INTO transfer_changes (transfer_id, state) VALUES (NEW.id, NEW.state);
    END IF;
    RETURN NEW;
END;
$$;
