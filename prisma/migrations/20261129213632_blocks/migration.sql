-- CreateTable
CREATE TABLE "blocks" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "blocker_key" TEXT NOT NULL,
    "blocked_key" TEXT NOT NULL,
    "chat_id" TEXT NOT NULL,
    "matched_interest" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "blocks_blocker_key_blocked_key_key" ON "blocks"("blocker_key", "blocked_key");

-- Reports made before blocks existed block the same way (SPEC §9: a report blocks).
INSERT OR IGNORE INTO blocks (id, blocker_key, blocked_key, chat_id, matched_interest, created_at)
SELECT r.id, r.reporter_key, r.reported_key, r.chat_id, c.matched_interest, r.created_at
FROM reports AS r JOIN chats AS c ON c.id = r.chat_id;
