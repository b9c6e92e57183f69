-- CreateEnum
CREATE TYPE "PlatformNumberKind" AS ENUM ('SHORT_CODE', 'VIRTUAL_NUMBER');

-- CreateEnum
CREATE TYPE "ConversationStatus" AS ENUM ('OPEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "ConversationAssignmentMode" AS ENUM ('MANUAL', 'ROUND_ROBIN', 'LEAST_BUSY');

-- CreateTable
CREATE TABLE "account_number" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "number" VARCHAR(16) NOT NULL,
    "kind" "PlatformNumberKind" NOT NULL,
    "country" CHAR(2) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_number_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "platform_number" VARCHAR(16) NOT NULL,
    "contact_number" VARCHAR(16) NOT NULL,
    "status" "ConversationStatus" NOT NULL DEFAULT 'OPEN',
    "assigned_user_id" UUID,
    "unread_count" INTEGER NOT NULL DEFAULT 0,
    "last_message_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "waiting_since" TIMESTAMP(3),
    "opened_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbound_message" (
    "id" BIGSERIAL NOT NULL,
    "account_id" UUID,
    "conversation_id" UUID,
    "connection" TEXT NOT NULL,
    "from_number" VARCHAR(20) NOT NULL,
    "to_number" VARCHAR(20) NOT NULL,
    "text" TEXT NOT NULL,
    "parts" SMALLINT NOT NULL,
    "complete" BOOLEAN NOT NULL,
    "opt_out" BOOLEAN NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbound_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_agent" (
    "account_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "capacity" INTEGER NOT NULL,
    "last_assigned_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_agent_pkey" PRIMARY KEY ("account_id","user_id")
);

-- CreateTable
CREATE TABLE "conversation_settings" (
    "account_id" UUID NOT NULL,
    "assignment_mode" "ConversationAssignmentMode" NOT NULL DEFAULT 'MANUAL',
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_settings_pkey" PRIMARY KEY ("account_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "account_number_number_key" ON "account_number"("number");

-- CreateIndex
CREATE INDEX "account_number_account_id_idx" ON "account_number"("account_id");

-- CreateIndex
CREATE INDEX "conversation_account_id_status_assigned_user_id_idx" ON "conversation"("account_id", "status", "assigned_user_id");

-- CreateIndex
CREATE INDEX "conversation_account_id_last_message_at_idx" ON "conversation"("account_id", "last_message_at");

-- CreateIndex
CREATE UNIQUE INDEX "conversation_account_id_platform_number_contact_number_key" ON "conversation"("account_id", "platform_number", "contact_number");

-- CreateIndex
CREATE INDEX "inbound_message_conversation_id_id_idx" ON "inbound_message"("conversation_id", "id");

-- CreateIndex
CREATE INDEX "inbound_message_account_id_id_idx" ON "inbound_message"("account_id", "id");

-- CreateIndex
CREATE INDEX "message_recipient_sender_submitted_at_idx" ON "message"("recipient", "sender", "submitted_at");

-- AddForeignKey
ALTER TABLE "account_number" ADD CONSTRAINT "account_number_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation" ADD CONSTRAINT "conversation_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation" ADD CONSTRAINT "conversation_assigned_user_id_fkey" FOREIGN KEY ("assigned_user_id") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_message" ADD CONSTRAINT "inbound_message_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_message" ADD CONSTRAINT "inbound_message_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_agent" ADD CONSTRAINT "conversation_agent_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_agent" ADD CONSTRAINT "conversation_agent_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_settings" ADD CONSTRAINT "conversation_settings_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
