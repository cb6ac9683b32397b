-- Deployments: one UTMStack installation each; every node belongs to exactly one.

-- CreateTable
CREATE TABLE "deployments" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "catalog_version" TEXT NOT NULL DEFAULT 'utmstack-v9',
    "tenant_id" UUID,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "deployments_name_key" ON "deployments"("name");

-- CreateIndex
CREATE INDEX "deployments_tenant_id_idx" ON "deployments"("tenant_id");

-- A deployment's catalog version decides rule sets, so its writes move the inventory revision too.
CREATE TRIGGER "deployments_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "deployments" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();

-- The existing inventory becomes one deployment named "default". Its catalog version is the one most of
-- the nodes' sites have; a site whose version differs keeps it as an override (the meaning it always had:
-- the catalog of the nodes at that site), so no rule set changes.
INSERT INTO "deployments" ("id", "name", "description", "catalog_version", "updated_at")
SELECT gen_random_uuid(), 'default', 'The inventory as it was before deployments', COALESCE(
    (SELECT s."catalog_version" FROM "sites" s LEFT JOIN "nodes" n ON n."site_id" = s."id"
     GROUP BY s."catalog_version" ORDER BY count(n."id") DESC, count(*) DESC, s."catalog_version" LIMIT 1),
    'utmstack-v9'), CURRENT_TIMESTAMP
WHERE EXISTS (SELECT 1 FROM "sites");

-- AlterTable
ALTER TABLE "nodes" ADD COLUMN "deployment_id" UUID,
ADD COLUMN "master_id" UUID;

UPDATE "nodes" SET "deployment_id" = (SELECT "id" FROM "deployments" WHERE "name" = 'default');

ALTER TABLE "nodes" ALTER COLUMN "deployment_id" SET NOT NULL;

-- AlterTable: a site's catalog version is now an override (null: the deployment's)
ALTER TABLE "sites" ALTER COLUMN "catalog_version" DROP NOT NULL,
ALTER COLUMN "catalog_version" DROP DEFAULT;

UPDATE "sites" SET "catalog_version" = NULL, "version" = "version" + 1
WHERE "catalog_version" = (SELECT "catalog_version" FROM "deployments" WHERE "name" = 'default');

-- CreateIndex
CREATE INDEX "nodes_deployment_id_idx" ON "nodes"("deployment_id");

-- CreateIndex
CREATE INDEX "nodes_master_id_idx" ON "nodes"("master_id");

-- AddForeignKey
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_master_id_fkey" FOREIGN KEY ("master_id") REFERENCES "nodes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
