-- Tenants (customers): they own deployments, sites and webhooks; tokens may be limited to some of them.
-- Everything that exists today stays the provider's (tenant_id null), so no token sees less than before.

-- CreateTable
CREATE TABLE "tenants" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_token_tenants" (
    "token_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,

    CONSTRAINT "api_token_tenants_pkey" PRIMARY KEY ("token_id","tenant_id")
);

-- AlterTable
ALTER TABLE "sites" ADD COLUMN "tenant_id" UUID;

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN "tenant_id" UUID;

-- AlterTable
ALTER TABLE "audit_entries" ADD COLUMN "tenant_id" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "tenants_name_key" ON "tenants"("name");

-- CreateIndex
CREATE INDEX "api_token_tenants_tenant_id_idx" ON "api_token_tenants"("tenant_id");

-- CreateIndex
CREATE INDEX "sites_tenant_id_idx" ON "sites"("tenant_id");

-- CreateIndex
CREATE INDEX "webhooks_tenant_id_idx" ON "webhooks"("tenant_id");

-- CreateIndex
CREATE INDEX "audit_entries_tenant_id_idx" ON "audit_entries"("tenant_id");

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sites" ADD CONSTRAINT "sites_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token_tenants" ADD CONSTRAINT "api_token_tenants_token_id_fkey" FOREIGN KEY ("token_id") REFERENCES "api_tokens"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token_tenants" ADD CONSTRAINT "api_token_tenants_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
