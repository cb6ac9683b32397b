-- CreateEnum
CREATE TYPE "Protocol" AS ENUM ('tcp', 'udp');

-- CreateTable
CREATE TABLE "custom_flows" (
    "id" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "from_role" "NodeRole" NOT NULL,
    "to_target" TEXT NOT NULL,
    "protocol" "Protocol" NOT NULL,
    "ports" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "selector" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "custom_flows_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "custom_flows_version_idx" ON "custom_flows"("version");

-- Custom flows change rule sets like the inventory does (not modelled by Prisma).
CREATE TRIGGER "custom_flows_bump_revision" AFTER INSERT OR UPDATE OR DELETE ON "custom_flows" FOR EACH STATEMENT EXECUTE FUNCTION "bump_inventory_revision"();
