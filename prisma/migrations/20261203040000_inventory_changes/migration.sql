-- Row-level log of inventory writes, so a replica that holds computed rule sets reloads only the rows that
-- changed since the revision it computed from (instead of the whole inventory) and recomputes only the
-- devices they can affect. Each entry carries the revision its statement produced: the log triggers fire
-- after <table>_bump_revision (triggers of one event fire in name order), whose UPDATE holds the revision
-- row until commit, so entries are numbered in commit order and every entry up to a revision a reader has
-- seen committed is visible to it. Statement-level with transition tables: one insert per statement, so
-- bulk writes stay cheap. Entries are pruned by the service (pruned_through says up to
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

-- TG_ARGV[0]: entity logged; TG_ARGV[1]: column of the changed rows holding that entity's id.
CREATE FUNCTION "log_inventory_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_revision BIGINT;
    ids TEXT[] := '{}';
BEGIN
    SELECT "revision" INTO current_revision FROM "inventory_revision" WHERE "id" = 1;
    IF TG_OP <> 'DELETE' THEN
        SELECT ids || array_agg(to_jsonb(r) ->> TG_ARGV[1]) INTO ids FROM new_rows r;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        SELECT ids || array_agg(to_jsonb(r) ->> TG_ARGV[1]) INTO ids FROM old_rows r;
    END IF;
    IF TG_TABLE_NAME = 'interface_zones' THEN
        -- Logged as the interface's device; when the interface is gone, its own deletion logged the device.
        SELECT coalesce(array_agg(i."device_id"::text), '{}') INTO ids
        FROM "device_interfaces" i WHERE i."id"::text = ANY(ids);
    END IF;
    INSERT INTO "inventory_changes" ("revision", "entity", "entity_id")
    SELECT DISTINCT current_revision, TG_ARGV[0], x FROM unnest(ids) AS x WHERE x IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "nodes_log_insert" AFTER INSERT ON "nodes" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('node', 'id');
CREATE TRIGGER "nodes_log_update" AFTER UPDATE ON "nodes" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('node', 'id');
CREATE TRIGGER "nodes_log_delete" AFTER DELETE ON "nodes" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('node', 'id');
CREATE TRIGGER "devices_log_insert" AFTER INSERT ON "devices" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'id');
CREATE TRIGGER "devices_log_update" AFTER UPDATE ON "devices" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'id');
CREATE TRIGGER "devices_log_delete" AFTER DELETE ON "devices" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'id');
CREATE TRIGGER "device_interfaces_log_insert" AFTER INSERT ON "device_interfaces" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'device_id');
CREATE TRIGGER "device_interfaces_log_update" AFTER UPDATE ON "device_interfaces" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'device_id');
CREATE TRIGGER "device_interfaces_log_delete" AFTER DELETE ON "device_interfaces" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'device_id');
CREATE TRIGGER "interface_zones_log_insert" AFTER INSERT ON "interface_zones" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'interface_id');
CREATE TRIGGER "interface_zones_log_update" AFTER UPDATE ON "interface_zones" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'interface_id');
CREATE TRIGGER "interface_zones_log_delete" AFTER DELETE ON "interface_zones" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('device', 'interface_id');
CREATE TRIGGER "zones_log_insert" AFTER INSERT ON "zones" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('zone', 'id');
CREATE TRIGGER "zones_log_update" AFTER UPDATE ON "zones" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('zone', 'id');
CREATE TRIGGER "zones_log_delete" AFTER DELETE ON "zones" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('zone', 'id');
CREATE TRIGGER "sites_log_insert" AFTER INSERT ON "sites" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('site', 'id');
CREATE TRIGGER "sites_log_update" AFTER UPDATE ON "sites" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('site', 'id');
CREATE TRIGGER "sites_log_delete" AFTER DELETE ON "sites" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('site', 'id');
CREATE TRIGGER "deployments_log_insert" AFTER INSERT ON "deployments" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('deployment', 'id');
CREATE TRIGGER "deployments_log_update" AFTER UPDATE ON "deployments" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('deployment', 'id');
CREATE TRIGGER "deployments_log_delete" AFTER DELETE ON "deployments" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('deployment', 'id');
CREATE TRIGGER "custom_flows_log_insert" AFTER INSERT ON "custom_flows" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('flows', 'id');
CREATE TRIGGER "custom_flows_log_update" AFTER UPDATE ON "custom_flows" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('flows', 'id');
CREATE TRIGGER "custom_flows_log_delete" AFTER DELETE ON "custom_flows" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('flows', 'id');
