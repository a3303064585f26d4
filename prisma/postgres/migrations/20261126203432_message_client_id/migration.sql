/*
  Warnings:

  - A unique constraint covering the columns `[chat_id,sender_key,client_id]` on the table `messages` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "client_id" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "messages_chat_id_sender_key_client_id_key" ON "messages"("chat_id", "sender_key", "client_id");
