-- AlterTable
ALTER TABLE "blocks" ALTER COLUMN "matched_interest" DROP NOT NULL;

-- AlterTable
ALTER TABLE "chats" ALTER COLUMN "matched_interest" DROP NOT NULL;

-- AlterTable
ALTER TABLE "queue_entries" ADD COLUMN     "fallback_at" TIMESTAMP(3),
ADD COLUMN     "present_until" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "reports" ALTER COLUMN "matched_interest" DROP NOT NULL,
ALTER COLUMN "matched_interest" DROP DEFAULT;

-- CreateIndex
CREATE INDEX "queue_entries_fallback_at_idx" ON "queue_entries"("fallback_at");

-- CreateIndex
CREATE INDEX "queue_entries_present_until_idx" ON "queue_entries"("present_until");
