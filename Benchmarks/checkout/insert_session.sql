-- pgbench script: the database's least cost of creating one payment session with an
-- Idempotency-Key, the same rows the gateway writes, into scratch copies of the tables
-- (scratch_tables.sql): the key's row, then in one transaction of one statement the session, its
-- held amount, its option, its `payment.created` event (a payload the gateway wrote, of the same
-- size) and the key's stored response. checkout_bench.sh fills in @MERCHANT@, @API_KEY_ID@,
-- @TOKEN@, @PAY_TO@ and @PAYLOAD@.
\set r random(1, 999999999999)
\set price random(100, 999999900)
INSERT INTO bench_idempotency_keys (api_key_id, key, request_hash)
VALUES ('@API_KEY_ID@', 'bench-' || :client_id || '-' || :r, sha256(:r::text::bytea))
ON CONFLICT DO NOTHING;
BEGIN;
WITH session AS (
    INSERT INTO bench_payment_sessions
        (id, merchant_id, livemode, amount, currency, scale, price_units, offset_units, metadata, client_secret, expires_at)
    VALUES
        ('ps_bench' || :client_id || 'n' || lpad(:r::text, 12, '0'), '@MERCHANT@', false,
         (:price / 100) || '.' || lpad((:price % 100)::text, 2, '0'), 'USDC', 6, :price::numeric * 10000, 1,
         jsonb_build_object('order', :r::text), 'cs_' || md5(:r::text || '-' || :client_id::text), now() + interval '1 hour')
    RETURNING id, created_at, expires_at
), held AS (
    INSERT INTO bench_reserved_amounts (network, token_address, pay_to, amount, session_id, kind)
    SELECT 'devnet', '@TOKEN@', '@PAY_TO@', :price::numeric * 10000 + 1, id, 'amount_due' FROM session
    ON CONFLICT DO NOTHING
    RETURNING 1
), stored_options AS (
    INSERT INTO bench_session_options
        (session_id, position, network, chain_id, token, token_address, decimals, pay_to, amount_due, confirmations)
    SELECT id, 0, 'devnet', 1337, 'USDC', '@TOKEN@', 6, '@PAY_TO@', :price::numeric * 10000 + 1, 3 FROM session
), event AS (
    INSERT INTO bench_outbox_events (type, payload, merchant_id, livemode)
    VALUES ('payment.created', '@PAYLOAD@'::jsonb, '@MERCHANT@', false)
)
UPDATE bench_idempotency_keys SET status = 201, body = convert_to('@PAYLOAD@', 'UTF8')
WHERE api_key_id = '@API_KEY_ID@' AND key = 'bench-' || :client_id || '-' || :r
RETURNING (SELECT count(*) FROM held);
COMMIT;
