-- CreateTable
CREATE TABLE "device_pending_states" (
    "device_id" UUID NOT NULL,
    "transaction_id" INTEGER,
    "transaction_opened_at" TIMESTAMPTZ(3),
    "rollback_revision" TEXT,
    "rollback_expires_at" TIMESTAMPTZ(3),
    "rollback_rule_set_hash" TEXT,
    "rollback_reason" TEXT,
    "uncommitted" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "device_pending_states_pkey" PRIMARY KEY ("device_id")
);

-- AddForeignKey
ALTER TABLE "device_pending_states" ADD CONSTRAINT "device_pending_states_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
