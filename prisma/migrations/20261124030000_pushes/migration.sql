-- CreateEnum
CREATE TYPE "PushState" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'noop');

-- CreateEnum
CREATE TYPE "PushTrigger" AS ENUM ('manual', 'schedule', 'api');

-- CreateTable
CREATE TABLE "pushes" (
    "id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "fleet_id" UUID,
    "trigger" "PushTrigger" NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "ticket" TEXT,
    "dry_run" BOOLEAN NOT NULL DEFAULT false,
    "state" "PushState" NOT NULL DEFAULT 'queued',
    "scheduled_for" TIMESTAMPTZ(3),
    "rule_set_hash" TEXT,
    "plan" JSONB,
    "result" JSONB,
    "writes" INTEGER,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "job_id" TEXT,
    "error_class" TEXT,
    "error_message" TEXT,
    "error" JSONB,
    "events" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pushes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "pushes_device_id_created_at_idx" ON "pushes"("device_id", "created_at");

-- CreateIndex
CREATE INDEX "pushes_state_idx" ON "pushes"("state");

-- CreateIndex
CREATE INDEX "pushes_created_at_idx" ON "pushes"("created_at");

-- CreateIndex
CREATE INDEX "pushes_fleet_id_idx" ON "pushes"("fleet_id");

-- CreateIndex
CREATE UNIQUE INDEX "pushes_device_id_scheduled_for_key" ON "pushes"("device_id", "scheduled_for");

-- AddForeignKey
ALTER TABLE "pushes" ADD CONSTRAINT "pushes_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
