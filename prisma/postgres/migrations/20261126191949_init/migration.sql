-- CreateTable
CREATE TABLE "accounts" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "plan" TEXT NOT NULL DEFAULT 'free',
    "role" TEXT NOT NULL DEFAULT 'user',
    "suspended_at" TIMESTAMP(3),
    "suspend_reason" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "account_id" TEXT,
    "blocked_at" TIMESTAMP(3),
    "block_reason" TEXT,
    "revoked_at" TIMESTAMP(3),
    "last_chat_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "queue_entries" (
    "seq" SERIAL NOT NULL,
    "session_id" TEXT NOT NULL,
    "person_key" TEXT NOT NULL,
    "interests" TEXT NOT NULL,
    "chat_limit" INTEGER NOT NULL,
    "enqueued_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "queue_entries_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "queue_tags" (
    "tag" TEXT NOT NULL,
    "entry_seq" INTEGER NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "queue_tags_pkey" PRIMARY KEY ("tag","entry_seq")
);

-- CreateTable
CREATE TABLE "chats" (
    "id" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "matched_interest" TEXT NOT NULL,
    "common_interests" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "ended_at" TIMESTAMP(3),
    "ended_by" TEXT,

    CONSTRAINT "chats_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chat_participants" (
    "chat_id" TEXT NOT NULL,
    "person_key" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "account_id" TEXT,
    "active_until" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "chat_participants_pkey" PRIMARY KEY ("chat_id","person_key")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" SERIAL NOT NULL,
    "chat_id" TEXT NOT NULL,
    "sender_key" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "queue_entries" ADD CONSTRAINT "queue_entries_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "queue_tags" ADD CONSTRAINT "queue_tags_entry_seq_fkey" FOREIGN KEY ("entry_seq") REFERENCES "queue_entries"("seq") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chat_participants" ADD CONSTRAINT "chat_participants_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "chats"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "chats"("id") ON DELETE CASCADE ON UPDATE CASCADE;
