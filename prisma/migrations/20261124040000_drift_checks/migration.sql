-- CreateTable
CREATE TABLE "drift_checks" (
    "id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "trigger" "PushTrigger" NOT NULL,
    "actor" TEXT NOT NULL,
    "scheduled_for" TIMESTAMPTZ(3),
    "drifted" BOOLEAN,
    "rule_set_hash" TEXT,
    "report" JSONB,
    "error_class" TEXT,
    "error_message" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checked_at" TIMESTAMPTZ(3),

    CONSTRAINT "drift_checks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "drift_checks_device_id_created_at_idx" ON "drift_checks"("device_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "drift_checks_device_id_scheduled_for_key" ON "drift_checks"("device_id", "scheduled_for");

-- AddForeignKey
ALTER TABLE "drift_checks" ADD CONSTRAINT "drift_checks_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
