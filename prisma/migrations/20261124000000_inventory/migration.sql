-- CreateEnum
CREATE TYPE "NodeRole" AS ENUM ('master', 'probe', 'agent', 'agentless', 'console');

-- CreateEnum
CREATE TYPE "Vendor" AS ENUM ('pfsense', 'fortios', 'opnsense');

-- CreateTable
CREATE TABLE "sites" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "catalog_version" TEXT NOT NULL DEFAULT 'utmstack-v9',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sites_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "zones" (
    "id" UUID NOT NULL,
    "site_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "cidrs" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "zones_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "nodes" (
    "id" UUID NOT NULL,
    "site_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "NodeRole" NOT NULL,
    "addresses" TEXT[],
    "collector_id" UUID,
    "selectors" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "nodes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "devices" (
    "id" UUID NOT NULL,
    "site_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "vendor" "Vendor" NOT NULL,
    "management_url" TEXT NOT NULL,
    "credentials_encrypted" TEXT,
    "credential_kind" TEXT,
    "tls_ca_bundle" TEXT,
    "tls_fingerprint" TEXT,
    "tls_insecure" BOOLEAN NOT NULL DEFAULT false,
    "vdom" TEXT,
    "schedule" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "devices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "device_interfaces" (
    "id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "external" BOOLEAN NOT NULL DEFAULT false,
    "position" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "device_interfaces_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "interface_zones" (
    "interface_id" UUID NOT NULL,
    "zone_id" UUID NOT NULL,

    CONSTRAINT "interface_zones_pkey" PRIMARY KEY ("interface_id","zone_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sites_name_key" ON "sites"("name");

-- CreateIndex
CREATE UNIQUE INDEX "zones_site_id_name_key" ON "zones"("site_id", "name");

-- CreateIndex
CREATE INDEX "nodes_collector_id_idx" ON "nodes"("collector_id");

-- CreateIndex
CREATE UNIQUE INDEX "nodes_site_id_name_key" ON "nodes"("site_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "devices_name_key" ON "devices"("name");

-- CreateIndex
CREATE INDEX "devices_site_id_idx" ON "devices"("site_id");

-- CreateIndex
CREATE UNIQUE INDEX "device_interfaces_device_id_name_key" ON "device_interfaces"("device_id", "name");

-- CreateIndex
CREATE INDEX "interface_zones_zone_id_idx" ON "interface_zones"("zone_id");

-- AddForeignKey
ALTER TABLE "zones" ADD CONSTRAINT "zones_site_id_fkey" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_site_id_fkey" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_collector_id_fkey" FOREIGN KEY ("collector_id") REFERENCES "nodes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "devices" ADD CONSTRAINT "devices_site_id_fkey" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_interfaces" ADD CONSTRAINT "device_interfaces_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interface_zones" ADD CONSTRAINT "interface_zones_interface_id_fkey" FOREIGN KEY ("interface_id") REFERENCES "device_interfaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interface_zones" ADD CONSTRAINT "interface_zones_zone_id_fkey" FOREIGN KEY ("zone_id") REFERENCES "zones"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "inventory_revision" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "revision" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "inventory_revision_pkey" PRIMARY KEY ("id")
);

-- Triggers (not modelled by Prisma): every statement that changes the inventory bumps the revision.
INSERT INTO "inventory_revision" ("id", "revision") VALUES (1, 0);

CREATE FUNCTION "bump_inventory_revision"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "inventory_revision" SET "revision" = "revision" + 1 WHERE "id" = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "sites_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "sites" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();
CREATE TRIGGER "zones_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "zones" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();
CREATE TRIGGER "nodes_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "nodes" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();
CREATE TRIGGER "devices_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "devices" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();
CREATE TRIGGER "device_interfaces_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "device_interfaces" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();
CREATE TRIGGER "interface_zones_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "interface_zones" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();
