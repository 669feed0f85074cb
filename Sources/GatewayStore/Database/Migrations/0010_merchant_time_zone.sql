-- The merchant's time zone, an IANA name (`Europe/Paris`): the accounting exports read their
-- date ranges and print their dates in it. Checked as a name here and against the time zone
-- database when it is set and when it is used (GatewayStore/Exports); UTC until set.
ALTER TABLE merchants ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC'
    CHECK (time_zone ~ '^[A-Za-z][A-Za-z0-9_+/-]{0,63}$');

-- The exports read one merchant's succeeded refunds by the time they succeeded.
CREATE INDEX refunds_merchant_succeeded ON refunds (merchant_id, livemode, succeeded_at) WHERE status = 'succeeded';
