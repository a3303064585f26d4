-- AlterTable
ALTER TABLE "queue_entries" ADD COLUMN "fallback_at" DATETIME;
ALTER TABLE "queue_entries" ADD COLUMN "present_until" DATETIME;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_blocks" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "blocker_key" TEXT NOT NULL,
    "blocked_key" TEXT NOT NULL,
    "chat_id" TEXT NOT NULL,
    "matched_interest" TEXT,
    "created_at" DATETIME NOT NULL
);
INSERT INTO "new_blocks" ("blocked_key", "blocker_key", "chat_id", "created_at", "id", "matched_interest") SELECT "blocked_key", "blocker_key", "chat_id", "created_at", "id", "matched_interest" FROM "blocks";
DROP TABLE "blocks";
ALTER TABLE "new_blocks" RENAME TO "blocks";
CREATE UNIQUE INDEX "blocks_blocker_key_blocked_key_key" ON "blocks"("blocker_key", "blocked_key");
CREATE TABLE "new_chats" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "token" TEXT NOT NULL,
    "matched_interest" TEXT,
    "common_interests" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "ended_at" DATETIME,
    "ended_by" TEXT
);
INSERT INTO "new_chats" ("common_interests", "created_at", "ended_at", "ended_by", "expires_at", "id", "matched_interest", "token") SELECT "common_interests", "created_at", "ended_at", "ended_by", "expires_at", "id", "matched_interest", "token" FROM "chats";
DROP TABLE "chats";
ALTER TABLE "new_chats" RENAME TO "chats";
CREATE UNIQUE INDEX "chats_token_key" ON "chats"("token");
CREATE INDEX "chats_expires_at_idx" ON "chats"("expires_at");
CREATE INDEX "chats_ended_at_idx" ON "chats"("ended_at");
CREATE TABLE "new_reports" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "chat_id" TEXT NOT NULL,
    "matched_interest" TEXT,
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
INSERT INTO "new_reports" ("chat_id", "created_at", "excerpt", "id", "matched_interest", "reason", "reported_account_id", "reported_key", "reported_session_id", "reporter_key", "reporter_session_id", "resolution", "resolved_at", "resolved_by") SELECT "chat_id", "created_at", "excerpt", "id", "matched_interest", "reason", "reported_account_id", "reported_key", "reported_session_id", "reporter_key", "reporter_session_id", "resolution", "resolved_at", "resolved_by" FROM "reports";
DROP TABLE "reports";
ALTER TABLE "new_reports" RENAME TO "reports";
CREATE INDEX "reports_resolved_at_created_at_idx" ON "reports"("resolved_at", "created_at");
CREATE INDEX "reports_reported_key_idx" ON "reports"("reported_key");
CREATE UNIQUE INDEX "reports_chat_id_reporter_key_key" ON "reports"("chat_id", "reporter_key");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "queue_entries_fallback_at_idx" ON "queue_entries"("fallback_at");

-- CreateIndex
CREATE INDEX "queue_entries_present_until_idx" ON "queue_entries"("present_until");
