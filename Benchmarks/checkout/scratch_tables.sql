-- Scratch copies of the session tables for the pgbench side of Benchmarks/checkout_bench.sh.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_session_options, bench_payment_sessions;
CREATE TABLE bench_payment_sessions (LIKE payment_sessions INCLUDING ALL);
ALTER TABLE bench_payment_sessions ADD FOREIGN KEY (merchant_id) REFERENCES merchants (id);
CREATE TABLE bench_session_options (LIKE session_options INCLUDING ALL);
ALTER TABLE bench_session_options ADD FOREIGN KEY (session_id) REFERENCES bench_payment_sessions (id);
