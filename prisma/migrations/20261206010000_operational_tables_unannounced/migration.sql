-- Operational records the item cache never keeps (UNCACHED_TABLES in libs/persistence/src/item-cache.ts) need no
-- `row_changes` announcement. A push writes its row and its device's pending state two or three times, drift checks
-- and webhook deliveries likewise per device: each commit emptied every replica's item cache, and PostgreSQL
-- serialises the commits of notifying transactions on one lock for the whole cluster (src/backend/commands/async.c,
-- PreCommit_Notify), so a fleet push's claims queued behind each other's commits.
DROP TRIGGER IF EXISTS "pushes_notify_change" ON "pushes";
DROP TRIGGER IF EXISTS "device_pending_states_notify_change" ON "device_pending_states";
DROP TRIGGER IF EXISTS "drift_checks_notify_change" ON "drift_checks";
DROP TRIGGER IF EXISTS "webhook_deliveries_notify_change" ON "webhook_deliveries";
