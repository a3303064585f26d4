-- DropForeignKey
ALTER TABLE "reports" DROP CONSTRAINT "reports_chat_id_fkey";

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "deleted_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "reports" ADD COLUMN     "matched_interest" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE INDEX "chats_ended_at_idx" ON "chats"("ended_at");

-- Reports outlive their chats now (the retention purge deletes chats): the chat's
-- interest is copied in, as its excerpt and parties already are.
UPDATE "reports" AS r SET "matched_interest" = c."matched_interest" FROM "chats" AS c WHERE c."id" = r."chat_id";
