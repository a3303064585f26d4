-- CreateTable
CREATE TABLE "accounts" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "plan" TEXT NOT NULL DEFAULT 'free',
    "role" TEXT NOT NULL DEFAULT 'user',
    "suspended_at" DATETIME,
    "suspend_reason" TEXT,
    "created_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "token_hash" TEXT NOT NULL,
    "account_id" TEXT,
    "blocked_at" DATETIME,
    "block_reason" TEXT,
    "revoked_at" DATETIME,
    "last_chat_id" TEXT,
    "created_at" DATETIME NOT NULL,
    CONSTRAINT "sessions_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "queue_entries" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "session_id" TEXT NOT NULL,
    "person_key" TEXT NOT NULL,
    "interests" TEXT NOT NULL,
    "chat_limit" INTEGER NOT NULL,
    "enqueued_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    CONSTRAINT "queue_entries_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "queue_tags" (
    "tag" TEXT NOT NULL,
    "entry_seq" INTEGER NOT NULL,
    "expires_at" DATETIME NOT NULL,

    PRIMARY KEY ("tag", "entry_seq"),
    CONSTRAINT "queue_tags_entry_seq_fkey" FOREIGN KEY ("entry_seq") REFERENCES "queue_entries" ("seq") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "chats" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "token" TEXT NOT NULL,
    "matched_interest" TEXT NOT NULL,
    "common_interests" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "ended_at" DATETIME,
    "ended_by" TEXT
);

-- CreateTable
CREATE TABLE "chat_participants" (
    "chat_id" TEXT NOT NULL,
    "person_key" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "account_id" TEXT,
    "active_until" DATETIME NOT NULL,

    PRIMARY KEY ("chat_id", "person_key"),
    CONSTRAINT "chat_participants_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "chats" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "messages" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "chat_id" TEXT NOT NULL,
    "sender_key" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    CONSTRAINT "messages_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "chats" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "accounts_username_key" ON "accounts"("username");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");

-- CreateIndex
CREATE INDEX "sessions_account_id_idx" ON "sessions"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "queue_entries_session_id_key" ON "queue_entries"("session_id");

-- CreateIndex
CREATE INDEX "queue_entries_expires_at_idx" ON "queue_entries"("expires_at");

-- CreateIndex
CREATE INDEX "queue_tags_entry_seq_idx" ON "queue_tags"("entry_seq");

-- CreateIndex
CREATE UNIQUE INDEX "chats_token_key" ON "chats"("token");

-- CreateIndex
CREATE INDEX "chats_expires_at_idx" ON "chats"("expires_at");

-- CreateIndex
CREATE INDEX "chat_participants_person_key_active_until_idx" ON "chat_participants"("person_key", "active_until");

-- CreateIndex
CREATE INDEX "messages_chat_id_id_idx" ON "messages"("chat_id", "id");
