-- pgbench script: what creating one payment session costs the database at least — one session
-- row and one option row, in one transaction, into scratch copies of payment_sessions and
-- session_options (same columns, checks, indexes, the partial unique index on reserved amounts
-- due, and foreign keys). checkout_bench.sh fills in @MERCHANT@, @TOKEN@ and @PAY_TO@.
\set r random(1, 999999999999)
\set price random(100, 999999900)
BEGIN;
INSERT INTO bench_payment_sessions
    (id, merchant_id, livemode, amount, currency, scale, price_units, offset_units, metadata, client_secret, expires_at)
VALUES
    ('ps_bench' || :client_id || 'n' || lpad(:r::text, 12, '0'), '@MERCHANT@', false, (:price / 100) || '.' || lpad((:price % 100)::text, 2, '0'),
     'USDC', 6, :price::numeric * 10000, 1, jsonb_build_object('order', :r::text),
     'cs_' || md5(:r::text || '-' || :client_id::text), now() + interval '1 hour');
INSERT INTO bench_session_options
    (session_id, position, network, chain_id, token, token_address, decimals, pay_to, amount_due, confirmations)
VALUES
    ('ps_bench' || :client_id || 'n' || lpad(:r::text, 12, '0'), 0, 'devnet', 1337, 'USDC',
     '@TOKEN@', 6, '@PAY_TO@',
     :price::numeric * 10000 + 1, 3)
ON CONFLICT DO NOTHING;
COMMIT;
