-- CreateEnum
CREATE TYPE "MessageKind" AS ENUM ('MARKETING', 'TRANSACTIONAL');

-- CreateEnum
CREATE TYPE "MessageStatus" AS ENUM ('ON_HOLD', 'TRANSMITTED', 'DELIVERED', 'NOT_ISSUED', 'EXPIRED', 'BLACKLISTED');

-- CreateTable
CREATE TABLE "message" (
    "id" BIGSERIAL NOT NULL,
    "account_id" UUID NOT NULL,
    "kind" "MessageKind" NOT NULL,
    "priority" SMALLINT NOT NULL,
    "sender" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "country" CHAR(2),
    "text" TEXT NOT NULL,
    "segments" SMALLINT NOT NULL,
    "price" DECIMAL(18,6) NOT NULL,
    "charged" BOOLEAN NOT NULL DEFAULT false,
    "reservation_id" UUID,
    "status" "MessageStatus" NOT NULL DEFAULT 'ON_HOLD',
    "send_after" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMP(3),
    "attempts" SMALLINT NOT NULL DEFAULT 0,
    "connection" TEXT,
    "submitted_at" TIMESTAMP(3),
    "final_at" TIMESTAMP(3),
    "carrier_status" TEXT,
    "error_code" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "carrier_part" (
    "connection" TEXT NOT NULL,
    "carrier_message_id" TEXT NOT NULL,
    "message_id" BIGINT NOT NULL,

    CONSTRAINT "carrier_part_pkey" PRIMARY KEY ("connection","carrier_message_id")
);

-- CreateTable
CREATE TABLE "unmatched_receipt" (
    "id" BIGSERIAL NOT NULL,
    "connection" TEXT NOT NULL,
    "carrier_message_id" TEXT NOT NULL,
    "status" "MessageStatus" NOT NULL,
    "carrier_status" TEXT NOT NULL,
    "error_code" TEXT,
    "done_at" TIMESTAMP(3),
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "unmatched_receipt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "message_status_priority_send_after_id_idx" ON "message"("status", "priority", "send_after", "id");

-- CreateIndex
CREATE INDEX "message_account_id_id_idx" ON "message"("account_id", "id");

-- CreateIndex
CREATE INDEX "message_reservation_id_idx" ON "message"("reservation_id");

-- CreateIndex
CREATE INDEX "carrier_part_message_id_idx" ON "carrier_part"("message_id");

-- CreateIndex
CREATE INDEX "unmatched_receipt_connection_carrier_message_id_idx" ON "unmatched_receipt"("connection", "carrier_message_id");

-- CreateIndex
CREATE INDEX "unmatched_receipt_received_at_idx" ON "unmatched_receipt"("received_at");

-- AddForeignKey
ALTER TABLE "message" ADD CONSTRAINT "message_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "carrier_part" ADD CONSTRAINT "carrier_part_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
