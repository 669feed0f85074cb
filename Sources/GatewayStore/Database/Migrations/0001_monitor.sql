-- The chain monitor's tables: transfers found on chain, the reorg window and checkpoint per
-- network, the watched addresses, balances, and the transactional outbox.
--
-- Conventions: addresses and hashes are lowercase 0x-hex text; amounts are integers in base
-- units, NUMERIC(78,0) (any uint256 fits), never floating point.

CREATE TABLE chain_transfers (
    id            bigserial PRIMARY KEY,
    network       text        NOT NULL CHECK (network <> ''),
    chain_id      bigint      NOT NULL CHECK (chain_id > 0),
    block_number  bigint      NOT NULL CHECK (block_number >= 0),
    block_hash    text        NOT NULL CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
    tx_hash       text        NOT NULL CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
    log_index     int         NOT NULL CHECK (log_index >= 0),
    token         text        NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
    from_address  text        NOT NULL CHECK (from_address ~ '^0x[0-9a-f]{40}$'),
    to_address    text        NOT NULL CHECK (to_address ~ '^0x[0-9a-f]{40}$'),
    amount        NUMERIC(78,0) NOT NULL CHECK (amount >= 0)
        CHECK (amount <= 115792089237316195423570985008687907853269984665640564039457584007913129639935),
    state         text        NOT NULL DEFAULT 'seen' CHECK (state IN ('seen', 'confirmed', 'removed')),
    seen_at       timestamptz NOT NULL DEFAULT now(),
    confirmed_at  timestamptz,
    removed_at    timestamptz,
    -- One row per log of one block: the same log in a block of another fork is another row.
    CONSTRAINT chain_transfers_log_key UNIQUE (chain_id, tx_hash, log_index, block_hash),
    CHECK (state <> 'confirmed' OR confirmed_at IS NOT NULL),
    CHECK (state <> 'removed' OR removed_at IS NOT NULL)
);

-- The monitor's working set (seen rows of a network by height) and rollbacks above a height.
CREATE INDEX chain_transfers_network_state_block ON chain_transfers (network, state, block_number);
-- Operators' listings in chain order.
CREATE INDEX chain_transfers_network_block ON chain_transfers (network, block_number, log_index);
-- Matching payments: transfers to one receiving address.
CREATE INDEX chain_transfers_to ON chain_transfers (network, to_address, token);
-- Binding a transaction hash reported by the checkout page.
CREATE INDEX chain_transfers_tx ON chain_transfers (tx_hash);

-- The reorg window: the recent canonical blocks of each network.
CREATE TABLE monitor_blocks (
    network      text   NOT NULL CHECK (network <> ''),
    number       bigint NOT NULL CHECK (number >= 0),
    hash         text   NOT NULL CHECK (hash ~ '^0x[0-9a-f]{64}$'),
    parent_hash  text   NOT NULL CHECK (parent_hash ~ '^0x[0-9a-f]{64}$'),
    PRIMARY KEY (network, number)
);

-- The last block fully processed, per network.
CREATE TABLE monitor_checkpoints (
    network     text        PRIMARY KEY CHECK (network <> ''),
    number      bigint      NOT NULL CHECK (number >= 0),
    hash        text        NOT NULL CHECK (hash ~ '^0x[0-9a-f]{64}$'),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The transactional outbox: written in the same transaction as the change it announces,
-- consumed by the webhook worker.
CREATE TABLE outbox_events (
    id            bigserial   PRIMARY KEY,
    event_id      text        NOT NULL UNIQUE
        DEFAULT ('evt_' || replace(gen_random_uuid()::text, '-', ''))
        CHECK (event_id ~ '^evt_[0-9A-Za-z]{16,64}$'),
    type          text        NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
    payload       jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);

-- Events still to deliver, oldest first.
CREATE INDEX outbox_events_undelivered ON outbox_events (id) WHERE delivered_at IS NULL;

-- Addresses whose incoming Transfer logs the monitor records.
CREATE TABLE watched_addresses (
    network     text        NOT NULL CHECK (network <> ''),
    address     text        NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, address)
);

-- A number that changes whenever a network's watched set does, so that the monitor can tell
-- with one cheap query whether to reload it.
CREATE TABLE watch_generations (
    network     text   PRIMARY KEY CHECK (network <> ''),
    generation  bigint NOT NULL CHECK (generation >= 0)
);

-- The latest known balance of an address, per asset: 'native' or a token's address.
CREATE TABLE address_balances (
    network       text          NOT NULL CHECK (network <> ''),
    address       text          NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
    asset         text          NOT NULL CHECK (asset = 'native' OR asset ~ '^0x[0-9a-f]{40}$'),
    amount        NUMERIC(78,0) NOT NULL CHECK (amount >= 0),
    block_number  bigint        NOT NULL CHECK (block_number >= 0),
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (network, address, asset)
);
