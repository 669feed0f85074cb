-- Scratch copies of the tables a session creation writes, for the pgbench side of
-- Benchmarks/checkout_bench.sh: the same columns, checks, defaults and indexes (the partial and
-- primary keys on held amounts included), the same foreign keys, and an outbox trigger that
-- notifies like the real one (on a channel nobody listens to, so the idle gateway is not woken).
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_outbox_events, bench_reserved_amounts, bench_session_options, bench_payment_sessions,
    bench_idempotency_keys;
CREATE TABLE bench_payment_sessions (LIKE payment_sessions INCLUDING ALL);
ALTER TABLE bench_payment_sessions ADD FOREIGN KEY (merchant_id) REFERENCES merchants (id);
CREATE TABLE bench_session_options (LIKE session_options INCLUDING ALL);
ALTER TABLE bench_session_options ADD FOREIGN KEY (session_id) REFERENCES bench_payment_sessions (id);
CREATE TABLE bench_reserved_amounts (LIKE reserved_amounts INCLUDING ALL);
ALTER TABLE bench_reserved_amounts ADD FOREIGN KEY (session_id) REFERENCES bench_payment_sessions (id);
CREATE TABLE bench_outbox_events (LIKE outbox_events INCLUDING ALL);
ALTER TABLE bench_outbox_events ADD FOREIGN KEY (merchant_id) REFERENCES merchants (id);
CREATE TABLE bench_idempotency_keys (LIKE idempotency_keys INCLUDING ALL);
ALTER TABLE bench_idempotency_keys ADD FOREIGN KEY (api_key_id) REFERENCES api_keys (id);
CREATE OR REPLACE FUNCTION bench_notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('bench_changes', TG_ARGV[0]);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER bench_outbox_events_notify AFTER INSERT ON bench_outbox_events REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION bench_notify_inserted('outbox');
