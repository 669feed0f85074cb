-- Payment integrity: when a transfer was mined, how far the monitor has seen the chain's
-- clock, one table for every amount a customer is asked to send (amounts due and
-- remainders), claims that carry their sender's signature, and the monitor's halts and
-- leadership.

-- The block's timestamp decides lateness; NULL for rows recorded before it was kept.
ALTER TABLE chain_transfers ADD COLUMN block_timestamp timestamptz;
-- The timestamp of the checkpoint's block: sessions expire only once the monitor has seen the
-- chain pass their expiry.
ALTER TABLE monitor_checkpoints ADD COLUMN block_timestamp timestamptz;

-- Every amount a customer is asked to send, unique per network, token and receiving address,
-- whatever asked for it: a session's amount due, or the rest of a partially paid session.
CREATE TABLE reserved_amounts (
    network        text          NOT NULL CHECK (network <> ''),
    token_address  text          NOT NULL CHECK (token_address ~ '^0x[0-9a-f]{40}$'),
    pay_to         text          NOT NULL CHECK (pay_to ~ '^0x[0-9a-f]{40}$'),
    amount         NUMERIC(78,0) NOT NULL CHECK (amount > 0),
    session_id     text          NOT NULL REFERENCES payment_sessions (id),
    kind           text          NOT NULL CHECK (kind IN ('amount_due', 'remainder')),
    created_at     timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (network, token_address, pay_to, amount)
);
CREATE INDEX reserved_amounts_session ON reserved_amounts (session_id);

INSERT INTO reserved_amounts (network, token_address, pay_to, amount, session_id, kind)
SELECT network, token_address, pay_to, amount_due, session_id, 'amount_due' FROM session_options WHERE reserved;
DROP INDEX session_options_reserved_amount;
ALTER TABLE session_options DROP COLUMN reserved;

-- The address that signed the claim (EIP-191), when the customer's wallet proved it sent the
-- transaction; a claim without it is only shown to the merchant.
ALTER TABLE checkout_claims ADD COLUMN signer text CHECK (signer ~ '^0x[0-9a-f]{40}$');

-- A network whose monitor stopped for a reason an operator must look at (a reorg deeper than
-- the window). Cleared by `gateway monitor rewind`.
CREATE TABLE monitor_halts (
    network    text        PRIMARY KEY CHECK (network <> ''),
    reason     text        NOT NULL,
    halted_at  timestamptz NOT NULL DEFAULT now()
);

-- Which process runs each network's monitor: the epoch moves on with every new holder, and
-- every write of the monitor checks it, so a monitor that lost its lock cannot write.
CREATE TABLE monitor_leases (
    network      text        PRIMARY KEY CHECK (network <> ''),
    epoch        bigint      NOT NULL CHECK (epoch > 0),
    holder       text        NOT NULL,
    acquired_at  timestamptz NOT NULL DEFAULT now()
);
