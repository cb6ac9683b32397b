-- Row-level log of inventory writes, so a replica that holds computed rule sets reloads only the rows that
-- changed since the revision it computed from (instead of the whole inventory) and recomputes only the
-- devices they can affect. Each entry carries the revision its statement produces: the trigger locks the
-- revision row before reading it, so entries are numbered in commit order and every entry up to a revision
-- a reader has seen committed is visible to it. Entries are pruned by the service (pruned_through says up to
-- where; a replica older than that reloads everything).
CREATE TABLE "inventory_changes" (
    "seq" BIGSERIAL NOT NULL,
    "revision" BIGINT NOT NULL,
    "entity" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,

    CONSTRAINT "inventory_changes_pkey" PRIMARY KEY ("seq")
);

CREATE INDEX "inventory_changes_revision_idx" ON "inventory_changes"("revision");

ALTER TABLE "inventory_revision" ADD COLUMN "pruned_through" BIGINT NOT NULL DEFAULT 0;

-- TG_ARGV[0]: entity logged; TG_ARGV[1]: column of the row holding that entity's id.
CREATE FUNCTION "log_inventory_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_revision BIGINT;
    ids TEXT[];
    entity_id TEXT;
BEGIN
    -- The statement-level bump_inventory_revision trigger runs after the row triggers and produces this revision.
    SELECT "revision" + 1 INTO next_revision FROM "inventory_revision" WHERE "id" = 1 FOR UPDATE;
    IF TG_OP <> 'INSERT' THEN ids := ids || (to_jsonb(OLD) ->> TG_ARGV[1]); END IF;
    IF TG_OP <> 'DELETE' THEN ids := ids || (to_jsonb(NEW) ->> TG_ARGV[1]); END IF;
    IF TG_TABLE_NAME = 'interface_zones' THEN
        -- Logged as the interface's device; when the interface is gone, its own deletion logged the device.
        SELECT array_agg(i."device_id"::text) INTO ids FROM "device_interfaces" i WHERE i."id"::text = ANY(ids);
    END IF;
    FOR entity_id IN SELECT DISTINCT unnest(ids) LOOP
        IF entity_id IS NOT NULL THEN
            INSERT INTO "inventory_changes" ("revision", "entity", "entity_id") VALUES (next_revision, TG_ARGV[0], entity_id);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "nodes_log_change" AFTER INSERT OR UPDATE OR DELETE ON "nodes" FOR EACH ROW EXECUTE FUNCTION "log_inventory_change"('node', 'id');
CREATE TRIGGER "devices_log_change" AFTER INSERT OR UPDATE OR DELETE ON "devices" FOR EACH ROW EXECUTE FUNCTION "log_inventory_change"('device', 'id');
CREATE TRIGGER "device_interfaces_log_change" AFTER INSERT OR UPDATE OR DELETE ON "device_interfaces" FOR EACH ROW EXECUTE FUNCTION "log_inventory_change"('device', 'device_id');
CREATE TRIGGER "interface_zones_log_change" AFTER INSERT OR UPDATE OR DELETE ON "interface_zones" FOR EACH ROW EXECUTE FUNCTION "log_inventory_change"('device', 'interface_id');
CREATE TRIGGER "zones_log_change" AFTER INSERT OR UPDATE OR DELETE ON "zones" FOR EACH ROW EXECUTE FUNCTION "log_inventory_change"('zone', 'id');
CREATE TRIGGER "sites_log_change" AFTER INSERT OR UPDATE OR DELETE ON "sites" FOR EACH ROW EXECUTE FUNCTION "log_inventory_change"('site', 'id');
CREATE TRIGGER "deployments_log_change" AFTER INSERT OR UPDATE OR DELETE ON "deployments" FOR EACH ROW EXECUTE FUNCTION "log_inventory_change"('deployment', 'id');
CREATE TRIGGER "custom_flows_log_change" AFTER INSERT OR UPDATE OR DELETE ON "custom_flows" FOR EACH ROW EXECUTE FUNCTION "log_inventory_change"('flows', 'id');
