-- AlterTable
ALTER TABLE "pushes" ADD COLUMN     "events_emitted_at" TIMESTAMPTZ(3);

-- Pushes finished before this migration already had their events sent.
UPDATE "pushes" SET "events_emitted_at" = "finished_at" WHERE "state" IN ('succeeded', 'failed', 'noop', 'cancelled');
