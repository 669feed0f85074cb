-- A transaction may be reported for several checkouts. Anyone who sees a transaction in the
-- mempool can report it for a checkout of their own first; with one report per transaction
-- that report kept the sender's own signed claim out. Now each checkout keeps its own report,
-- and only a report signed by the transfer's sender binds it (PaymentMatch).
ALTER TABLE checkout_claims DROP CONSTRAINT checkout_claims_pkey;
ALTER TABLE checkout_claims ADD PRIMARY KEY (network, tx_hash, session_id);

-- Every read of a session gathers its claims: without this index each read scanned every
-- claim ever made, and reads slowed as claims accumulated.
CREATE INDEX checkout_claims_session ON checkout_claims (session_id);
