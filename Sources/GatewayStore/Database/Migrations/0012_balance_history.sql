-- A thinned history of the balances the monitor stores in address_balances, for the console's
-- seven-day charts: saveBalances appends a sample of an (address, asset) only when its newest
-- sample is at least 15 minutes old (about 700 per asset and week), and deletes a network's
-- samples older than 8 days in the same statement.
CREATE TABLE balance_samples (
    id            bigserial     PRIMARY KEY,
    network       text          NOT NULL CHECK (network <> ''),
    address       text          NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
    asset         text          NOT NULL CHECK (asset = 'native' OR asset ~ '^0x[0-9a-f]{40}$'),
    amount        NUMERIC(78,0) NOT NULL CHECK (amount >= 0)
        CHECK (amount <= 115792089237316195423570985008687907853269984665640564039457584007913129639935),
    block_number  bigint        NOT NULL CHECK (block_number >= 0),
    sampled_at    timestamptz   NOT NULL DEFAULT now()
);

-- The newest sample of a pair (the 15-minute rule) and a pair's samples in time order (the chart).
CREATE INDEX balance_samples_pair_time ON balance_samples (network, address, asset, sampled_at);
-- The 8-day cut of a network.
CREATE INDEX balance_samples_network_time ON balance_samples (network, sampled_at);
