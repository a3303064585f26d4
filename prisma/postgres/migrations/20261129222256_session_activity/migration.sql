-- Sessions keep when they were last used (to the hour) and the User-Agent that made them.
-- Existing sessions count as last seen when they were created.
-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "last_seen_at" TIMESTAMP(3),
ADD COLUMN     "user_agent" TEXT;
UPDATE "sessions" SET "last_seen_at" = "created_at";
ALTER TABLE "sessions" ALTER COLUMN "last_seen_at" SET NOT NULL;
