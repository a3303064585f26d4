-- AlterTable
ALTER TABLE "messages" ADD COLUMN "deleted_at" DATETIME;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_reports" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "chat_id" TEXT NOT NULL,
    "matched_interest" TEXT NOT NULL DEFAULT '',
    "reporter_key" TEXT NOT NULL,
    "reporter_session_id" TEXT NOT NULL,
    "reported_key" TEXT NOT NULL,
    "reported_session_id" TEXT NOT NULL,
    "reported_account_id" TEXT,
    "reason" TEXT NOT NULL,
    "excerpt" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "resolution" TEXT,
    "resolved_at" DATETIME,
    "resolved_by" TEXT
);
INSERT INTO "new_reports" ("chat_id", "created_at", "excerpt", "id", "reason", "reported_account_id", "reported_key", "reported_session_id", "reporter_key", "reporter_session_id", "resolution", "resolved_at", "resolved_by") SELECT "chat_id", "created_at", "excerpt", "id", "reason", "reported_account_id", "reported_key", "reported_session_id", "reporter_key", "reporter_session_id", "resolution", "resolved_at", "resolved_by" FROM "reports";
DROP TABLE "reports";
ALTER TABLE "new_reports" RENAME TO "reports";
CREATE INDEX "reports_resolved_at_created_at_idx" ON "reports"("resolved_at", "created_at");
CREATE INDEX "reports_reported_key_idx" ON "reports"("reported_key");
CREATE UNIQUE INDEX "reports_chat_id_reporter_key_key" ON "reports"("chat_id", "reporter_key");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "chats_ended_at_idx" ON "chats"("ended_at");

-- Reports outlive their chats now (the retention purge deletes chats): the chat's
-- interest is copied in, as its excerpt and parties already are.
UPDATE "reports" SET "matched_interest" = (SELECT c."matched_interest" FROM "chats" AS c WHERE c."id" = "reports"."chat_id")
WHERE EXISTS (SELECT 1 FROM "chats" AS c WHERE c."id" = "reports"."chat_id");
