-- Internet paths (#12): how sites reach each other (routed, or over the internet through NAT), sites that are the
-- internet itself, per-pair exceptions (site links), the public addresses of external interfaces, and
-- publications (a node made reachable at a public address and port through a firewall of its site). Existing
-- sites stay routed, so no rule set changes.

-- CreateEnum
CREATE TYPE "SiteConnectivity" AS ENUM ('routed', 'internet');

-- AlterTable
ALTER TABLE "sites" ADD COLUMN "connectivity" "SiteConnectivity" NOT NULL DEFAULT 'routed',
    ADD COLUMN "on_internet" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "device_interfaces" ADD COLUMN "public_addresses" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- One row per unordered pair, stored with the smaller id first so (a, b) and (b, a) meet the same unique index.
CREATE TABLE "site_links" (
    "id" UUID NOT NULL,
    "site_a_id" UUID NOT NULL,
    "site_b_id" UUID NOT NULL,
    "connectivity" "SiteConnectivity" NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "site_links_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "site_links_ordered_pair" CHECK ("site_a_id" < "site_b_id")
);

CREATE UNIQUE INDEX "site_links_site_a_id_site_b_id_key" ON "site_links"("site_a_id", "site_b_id");
CREATE INDEX "site_links_site_b_id_idx" ON "site_links"("site_b_id");

ALTER TABLE "site_links" ADD CONSTRAINT "site_links_site_a_id_fkey" FOREIGN KEY ("site_a_id") REFERENCES "sites"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "site_links" ADD CONSTRAINT "site_links_site_b_id_fkey" FOREIGN KEY ("site_b_id") REFERENCES "sites"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- `ports`: [{ protocol, ports: { from, to }, externalFrom }] (engine PublishedPortInput), always explicit.
CREATE TABLE "publications" (
    "id" UUID NOT NULL,
    "node_id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "interface" TEXT,
    "public_address" TEXT,
    "ports" JSONB NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "publications_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "publications_node_id_idx" ON "publications"("node_id");
CREATE INDEX "publications_device_id_idx" ON "publications"("device_id");

ALTER TABLE "publications" ADD CONSTRAINT "publications_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "publications" ADD CONSTRAINT "publications_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Both tables are inventory: bump the revision and log the changed rows like the others (20261203040000), so
-- every replica recomputes. The service reloads the whole inventory when one of these entities changed.
CREATE TRIGGER "site_links_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "site_links" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();
CREATE TRIGGER "publications_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "publications" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();

CREATE TRIGGER "site_links_log_insert" AFTER INSERT ON "site_links" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('site_link', 'id');
CREATE TRIGGER "site_links_log_update" AFTER UPDATE ON "site_links" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('site_link', 'id');
CREATE TRIGGER "site_links_log_delete" AFTER DELETE ON "site_links" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('site_link', 'id');
CREATE TRIGGER "publications_log_insert" AFTER INSERT ON "publications" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('publication', 'id');
CREATE TRIGGER "publications_log_update" AFTER UPDATE ON "publications" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('publication', 'id');
CREATE TRIGGER "publications_log_delete" AFTER DELETE ON "publications" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "log_inventory_changes"('publication', 'id');
