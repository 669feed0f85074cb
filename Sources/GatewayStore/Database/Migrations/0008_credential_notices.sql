-- Cached reads of API keys, merchants and their addresses (CachedReads) are dropped in every
-- process when one of them changes: each such commit sends `credentials` on `gateway_changes`.
-- Marking a key used (last_used_at) is not a change of what a request may do.

CREATE TRIGGER api_keys_notify AFTER UPDATE OF revoked_at, scopes, merchant_id, livemode, secret_sha256 OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('credentials');
CREATE TRIGGER merchants_notify AFTER UPDATE OR DELETE ON merchants
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('credentials');
CREATE TRIGGER merchant_addresses_notify AFTER INSERT OR UPDATE OR DELETE ON merchant_addresses
    FOR EACH STATEMENT EXECUTE FUNCTION notify_change('credentials');
