-- Refund notices: a refund that becomes ready to sign (created, approved, or given its
-- destination, and queued) sends `refunds:<network>` on `gateway_changes` (see 0007), so that
-- the network's refund sender signs it at once instead of at its next pass. The sender's own
-- writes never queue a refund, so they do not wake it.

CREATE FUNCTION notify_refund_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_changes', 'refunds:' || NEW.network);
    RETURN NULL;
END;
$$;

CREATE TRIGGER refunds_queued_notify AFTER INSERT OR UPDATE OF status, status_reason ON refunds
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.status_reason = 'queued' AND NEW.nonce IS NULL)
    EXECUTE FUNCTION notify_refund_queued();
