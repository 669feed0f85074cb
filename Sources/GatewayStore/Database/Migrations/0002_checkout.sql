-- The checkout API's tables: merchants and their receiving addresses, API keys, payment
-- sessions with their options (the unique amounts due) and payments, checkout claims, the
-- queue of transfer changes the session matcher consumes, and stored idempotent responses.
--
-- Conventions as in 0001: lowercase 0x-hex text, NUMERIC(78,0) base units, no floats.

CREATE TABLE merchants (
    id          text        PRIMARY KEY CHECK (id ~ '^mer_[0-9A-Za-z]{16,64}$'),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One receiving address per merchant and network.
CREATE TABLE merchant_addresses (
    merchant_id  text        NOT NULL REFERENCES merchants (id),
    network      text        NOT NULL CHECK (network <> ''),
    address      text        NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant_id, network)
);
-- An address receives for one merchant only, so a transfer to it belongs to one merchant.
CREATE UNIQUE INDEX merchant_addresses_address ON merchant_addresses (network, address);

-- API keys: only the SHA-256 of the secret and its first characters are stored.
CREATE TABLE api_keys (
    id            text        PRIMARY KEY CHECK (id ~ '^key_[0-9A-Za-z]{16,64}$'),
    merchant_id   text        NOT NULL REFERENCES merchants (id),
    prefix        text        NOT NULL CHECK (prefix ~ '^sk_(test|live)_[0-9A-Za-z]{4}$'),
    secret_sha256 bytea       NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    livemode      boolean     NOT NULL,
    scopes        text[]      NOT NULL CHECK (scopes <@ ARRAY['read', 'write', 'refund', 'admin'] AND cardinality(scopes) > 0),
    description   text        CHECK (length(description) <= 500),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CHECK ((prefix LIKE 'sk_live_%') = livemode)
);
CREATE INDEX api_keys_prefix ON api_keys (prefix);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id, created_at DESC, id DESC);

CREATE TABLE payment_sessions (
    id             text        PRIMARY KEY CHECK (id ~ '^ps_[0-9A-Za-z]{16,64}$'),
    seq            bigserial   NOT NULL UNIQUE,
    merchant_id    text        NOT NULL REFERENCES merchants (id),
    livemode       boolean     NOT NULL,
    status         text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'confirming', 'completed', 'expired', 'canceled', 'failed', 'refunded', 'partially_refunded')),
    status_reason  text,
    -- The price in the currency's units, exactly as accepted, and as an integer at `scale`
    -- decimals (the least precise option's token decimals).
    amount         text        NOT NULL CHECK (amount ~ '^[0-9]+(\.[0-9]+)?$'),
    currency       text        NOT NULL CHECK (currency ~ '^[A-Z][A-Z0-9.]{1,15}$'),
    scale          int         NOT NULL CHECK (scale BETWEEN 0 AND 36),
    price_units    NUMERIC(78,0) NOT NULL CHECK (price_units > 0),
    -- The offset in units of `scale` that every option adds to the price.
    offset_units   int         NOT NULL CHECK (offset_units > 0),
    description    text        CHECK (length(description) <= 500),
    metadata       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    success_url    text,
    cancel_url     text,
    client_secret  text        NOT NULL UNIQUE CHECK (client_secret ~ '^cs_[0-9A-Za-z]{24,64}$'),
    expires_at     timestamptz NOT NULL,
    -- Until then the options stay reserved and later transfers are still matched.
    monitor_until  timestamptz,
    completed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_sessions_merchant ON payment_sessions (merchant_id, livemode, seq DESC);
CREATE INDEX payment_sessions_expiring ON payment_sessions (expires_at) WHERE status = 'pending';

-- One way to pay a session: a token on a network, to the merchant's address, exactly
-- `amount_due` base units.
CREATE TABLE session_options (
    session_id     text     NOT NULL REFERENCES payment_sessions (id),
    position       int      NOT NULL CHECK (position >= 0),
    network        text     NOT NULL CHECK (network <> ''),
    chain_id       bigint   NOT NULL CHECK (chain_id > 0),
    token          text     NOT NULL CHECK (token <> ''),
    token_address  text     NOT NULL CHECK (token_address ~ '^0x[0-9a-f]{40}$'),
    decimals       int      NOT NULL CHECK (decimals BETWEEN 0 AND 36),
    pay_to         text     NOT NULL CHECK (pay_to ~ '^0x[0-9a-f]{40}$'),
    amount_due     NUMERIC(78,0) NOT NULL CHECK (amount_due > 0),
    confirmations  int      NOT NULL CHECK (confirmations > 0),
    reserved       boolean  NOT NULL DEFAULT true,
    PRIMARY KEY (session_id, position),
    UNIQUE (session_id, network, token_address)
);
-- The heart of matching by amount: no two reserved options share an amount due for the
-- same network, token and receiving address.
CREATE UNIQUE INDEX session_options_reserved_amount
    ON session_options (network, token_address, pay_to, amount_due) WHERE reserved;

-- Transfers bound to sessions. A transfer pays at most one session.
CREATE TABLE session_payments (
    transfer_id  bigint      PRIMARY KEY REFERENCES chain_transfers (id),
    session_id   text        NOT NULL REFERENCES payment_sessions (id),
    -- The transfer's amount in the session's scale.
    credited     NUMERIC(78,0) NOT NULL CHECK (credited >= 0),
    -- The transfer's state as the session last accounted for it (the matcher catches up).
    state        text        NOT NULL CHECK (state IN ('seen', 'confirmed', 'removed')),
    late         boolean     NOT NULL,
    matched_by   text        NOT NULL CHECK (matched_by IN ('amount', 'transaction', 'attach')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_payments_session ON session_payments (session_id);

-- Transaction hashes the checkout page reported for a session.
CREATE TABLE checkout_claims (
    session_id  text        NOT NULL REFERENCES payment_sessions (id),
    network     text        NOT NULL,
    tx_hash     text        NOT NULL CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, tx_hash)
);

-- Every insert and state change of a transfer, queued for the session matcher by trigger,
-- so that the monitor's transaction and the queue entry commit together.
CREATE TABLE transfer_changes (
    id           bigserial   PRIMARY KEY,
    transfer_id  bigint      NOT NULL REFERENCES chain_transfers (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION queue_transfer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
        INSERT INTO transfer_changes (transfer_id) VALUES (NEW.id);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER chain_transfers_queue_change
    AFTER INSERT OR UPDATE OF state ON chain_transfers
    FOR EACH ROW EXECUTE FUNCTION queue_transfer_change();

-- Responses to POST requests with an Idempotency-Key, replayed for 24 hours.
CREATE TABLE idempotency_keys (
    api_key_id    text        NOT NULL REFERENCES api_keys (id),
    key           text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash  bytea       NOT NULL,
    status        int,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key)
);

-- Events of merchants' objects carry their merchant and mode, for webhook delivery.
ALTER TABLE outbox_events ADD COLUMN merchant_id text REFERENCES merchants (id);
ALTER TABLE outbox_events ADD COLUMN livemode boolean;
