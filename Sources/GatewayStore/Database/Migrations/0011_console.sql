-- The web console's people and their signed-in sessions.
--
-- A user is an operator (sees every merchant, refunds for none) or a merchant's user (sees
-- and acts for that merchant only). Only the bcrypt hash of a password is stored.
CREATE TABLE console_users (
    id             text        PRIMARY KEY CHECK (id ~ '^usr_[0-9A-Za-z]{16,64}$'),
    email          text        NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role           text        NOT NULL CHECK (role IN ('operator', 'merchant')),
    merchant_id    text        REFERENCES merchants (id),
    password_hash  text        NOT NULL CHECK (password_hash LIKE '$2%'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    disabled_at    timestamptz,
    CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
);
CREATE UNIQUE INDEX console_users_email ON console_users (email);

-- Signed-in sessions, shared by every gateway process on the database, so a restart signs
-- nobody out. The key is the SHA-256 of the cookie's value: a copy of this table does not
-- let anyone in.
CREATE TABLE console_sessions (
    key_sha256  bytea       PRIMARY KEY CHECK (length(key_sha256) = 32),
    value       jsonb       NOT NULL,
    expires_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
