-- DropIndex
DROP INDEX "conversation_account_id_last_message_at_idx";

-- AlterTable
ALTER TABLE "conversation" ALTER COLUMN "last_message_at" SET DATA TYPE TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "conversation_account_id_last_message_at_id_idx" ON "conversation"("account_id", "last_message_at", "id");
