-- Sessions keep when they were last used (to the hour) and the User-Agent that made them.
-- Existing sessions count as last seen when they were created.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "token_hash" TEXT NOT NULL,
    "account_id" TEXT,
    "blocked_at" DATETIME,
    "block_reason" TEXT,
    "revoked_at" DATETIME,
    "last_chat_id" TEXT,
    "created_at" DATETIME NOT NULL,
    "last_seen_at" DATETIME NOT NULL,
    "user_agent" TEXT,
    CONSTRAINT "sessions_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_sessions" ("account_id", "block_reason", "blocked_at", "created_at", "id", "last_chat_id", "revoked_at", "token_hash", "last_seen_at") SELECT "account_id", "block_reason", "blocked_at", "created_at", "id", "last_chat_id", "revoked_at", "token_hash", "created_at" FROM "sessions";
DROP TABLE "sessions";
ALTER TABLE "new_sessions" RENAME TO "sessions";
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");
CREATE INDEX "sessions_account_id_idx" ON "sessions"("account_id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
