-- Refunds: the refunds of payment sessions, the nonces each hot wallet has used, and every
-- signed attempt at each nonce (written before it is broadcast). A session shows what its
-- succeeded refunds returned.
--
-- Conventions as in 0001: lowercase 0x-hex text, NUMERIC(78,0) base units, no floats.

ALTER TABLE payment_sessions ADD COLUMN amount_refunded NUMERIC(78,0) NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0);

CREATE TABLE refunds (
    id                  text        PRIMARY KEY CHECK (id ~ '^re_[0-9A-Za-z]{16,64}$'),
    seq                 bigserial   NOT NULL UNIQUE,
    merchant_id         text        NOT NULL REFERENCES merchants (id),
    livemode            boolean     NOT NULL,
    session_id          text        NOT NULL REFERENCES payment_sessions (id),
    network             text        NOT NULL CHECK (network <> ''),
    chain_id            bigint      NOT NULL CHECK (chain_id > 0),
    token               text        NOT NULL CHECK (token <> ''),
    token_address       text        NOT NULL CHECK (token_address ~ '^0x[0-9a-f]{40}$'),
    decimals            int         NOT NULL CHECK (decimals BETWEEN 0 AND 36),
    -- The merchant's receiving address on the network (never a destination).
    pay_to              text        NOT NULL CHECK (pay_to ~ '^0x[0-9a-f]{40}$'),
    amount              NUMERIC(78,0) NOT NULL CHECK (amount > 0),
    destination         text        CHECK (destination ~ '^0x[0-9a-f]{40}$'),
    destination_source  text        NOT NULL CHECK (destination_source IN ('address', 'payer', 'customer')),
    reason              text        CHECK (reason IN ('requested_by_customer', 'duplicate', 'fraudulent', 'overpayment', 'other')),
    metadata            jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    status              text        NOT NULL CHECK (status IN ('requires_action', 'pending', 'succeeded', 'failed', 'canceled')),
    status_reason       text        NOT NULL CHECK (status_reason ~ '^[a-z_]+$'),
    approval_required   boolean     NOT NULL,
    approved_at         timestamptz,
    -- Guards the customer's refund page.
    client_secret       text        NOT NULL UNIQUE CHECK (client_secret ~ '^rcs_[0-9A-Za-z]{24,64}$'),
    -- Set when signed: the hot wallet and the one nonce this refund ever holds.
    hot_wallet          text        CHECK (hot_wallet ~ '^0x[0-9a-f]{40}$'),
    nonce               bigint      CHECK (nonce >= 0),
    -- The attempt that was mined, once known.
    tx_hash             text        CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
    -- When the sender looks again at a refund that waits (funds, fee cap, daily limit).
    next_check_at       timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    succeeded_at        timestamptz,
    CHECK ((hot_wallet IS NULL) = (nonce IS NULL)),
    CHECK (status <> 'succeeded' OR (tx_hash IS NOT NULL AND succeeded_at IS NOT NULL)),
    CHECK (status NOT IN ('pending', 'succeeded') OR destination IS NOT NULL)
);
CREATE INDEX refunds_merchant ON refunds (merchant_id, livemode, seq DESC);
CREATE INDEX refunds_session ON refunds (session_id);
-- The sender's queue: unsigned refunds of a network, oldest first.
CREATE INDEX refunds_unsigned ON refunds (network, seq) WHERE nonce IS NULL AND status IN ('pending', 'requires_action');
-- Daily limits: recent refunds of a merchant, and of a hot wallet.
CREATE INDEX refunds_recent ON refunds (merchant_id, created_at);
CREATE INDEX refunds_wallet_recent ON refunds (network, hot_wallet, created_at) WHERE hot_wallet IS NOT NULL;

-- Every nonce a hot wallet used: one refund each (or a filler that closes a gap), never two.
CREATE TABLE hot_wallet_nonces (
    network       text        NOT NULL CHECK (network <> ''),
    address       text        NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
    nonce         bigint      NOT NULL CHECK (nonce >= 0),
    refund_id     text        REFERENCES refunds (id),
    -- A zero-value transaction to the wallet itself that fills a nonce its refund cannot use.
    filler        boolean     NOT NULL DEFAULT false,
    state         text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'mined', 'final')),
    -- The attempt mined at this nonce, and its block.
    tx_hash       text        CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
    block_number  bigint      CHECK (block_number >= 0),
    block_hash    text        CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
    -- What the mined receipt means for the refund; applied to it once the block is final.
    verdict       text        CHECK (verdict IN ('transferred', 'reverted', 'mismatch')),
    -- Rounds in which the chain counted the nonce as used while no attempt of ours had a receipt.
    unexplained   int         NOT NULL DEFAULT 0 CHECK (unexplained >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, address, nonce),
    CHECK (filler OR refund_id IS NOT NULL),
    CHECK (state = 'open' OR (tx_hash IS NOT NULL AND block_number IS NOT NULL AND block_hash IS NOT NULL AND verdict IS NOT NULL))
);
-- A refund is signed at one nonce only: after a crash its bytes are sent again, never re-signed
-- at another nonce.
CREATE UNIQUE INDEX hot_wallet_nonces_refund ON hot_wallet_nonces (refund_id) WHERE refund_id IS NOT NULL AND NOT filler;
CREATE INDEX hot_wallet_nonces_unfinished ON hot_wallet_nonces (network, address, nonce) WHERE state <> 'final';

-- Every signed transaction, committed before its first broadcast: its bytes, hash and fees.
CREATE TABLE refund_attempts (
    tx_hash        text        PRIMARY KEY CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
    network        text        NOT NULL,
    address        text        NOT NULL,
    nonce          bigint      NOT NULL,
    -- 1 for the first attempt at the nonce, then one more per replacement.
    attempt        int         NOT NULL CHECK (attempt > 0),
    raw            bytea       NOT NULL CHECK (length(raw) > 0),
    gas_limit      bigint      NOT NULL CHECK (gas_limit > 0),
    max_fee        NUMERIC(78,0) NOT NULL CHECK (max_fee >= 0),
    tip            NUMERIC(78,0) NOT NULL CHECK (tip >= 0),
    -- The last broadcast's outcome (accepted, maybe_sent, insufficient_funds, underpriced,
    -- rejected, unavailable); NULL until first sent.
    last_outcome   text        CHECK (last_outcome ~ '^[a-z_]+$'),
    last_error     text,
    -- The head when a pool first took it: replacement is counted in blocks from there.
    sent_at_head   bigint      CHECK (sent_at_head >= 0),
    last_sent_at   timestamptz,
    sends          int         NOT NULL DEFAULT 0 CHECK (sends >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (network, address, nonce) REFERENCES hot_wallet_nonces (network, address, nonce),
    UNIQUE (network, address, nonce, attempt)
);
