-- Webhooks: merchants' endpoints with their signing secrets, one delivery per event and
-- endpoint (and per redelivery), and every attempt. Deliveries are taken by workers with
-- FOR UPDATE SKIP LOCKED and leased while in flight, so several processes can deliver.

CREATE TABLE webhook_endpoints (
    id                   text        PRIMARY KEY CHECK (id ~ '^we_[0-9A-Za-z]{16,64}$'),
    merchant_id          text        NOT NULL REFERENCES merchants (id),
    livemode             boolean     NOT NULL,
    url                  text        NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
    -- Event types, or '*' for all.
    events               text[]      NOT NULL CHECK (cardinality(events) > 0),
    description          text        CHECK (length(description) <= 500),
    secret               text        NOT NULL CHECK (secret ~ '^whsec_[0-9A-Za-z]{32}$'),
    -- After a rotation the old secret keeps signing until then.
    previous_secret      text        CHECK (previous_secret ~ '^whsec_[0-9A-Za-z]{32}$'),
    previous_expires_at  timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, livemode) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id                bigserial   PRIMARY KEY,
    public_id         text        NOT NULL UNIQUE CHECK (public_id ~ '^wd_[0-9A-Za-z]{16,64}$'),
    event_id          bigint      NOT NULL REFERENCES outbox_events (id),
    endpoint_id       text        NOT NULL REFERENCES webhook_endpoints (id),
    status            text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts          int         NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When a worker may take it next; while an attempt is in flight, the end of its lease.
    next_attempt_at   timestamptz,
    last_status_code  int,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    delivered_at      timestamptz,
    CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
    id                bigserial   PRIMARY KEY,
    delivery_id       bigint      NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at      timestamptz NOT NULL,
    status_code       int,
    latency_ms        int         NOT NULL CHECK (latency_ms >= 0),
    -- The first bytes of the response, for the merchant's debugging.
    response_excerpt  text,
    error             text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- Merchant events not yet turned into deliveries.
ALTER TABLE outbox_events ADD COLUMN dispatched_at timestamptz;
CREATE INDEX outbox_events_undispatched ON outbox_events (id) WHERE dispatched_at IS NULL AND merchant_id IS NOT NULL;
