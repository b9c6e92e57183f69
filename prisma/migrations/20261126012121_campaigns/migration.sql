-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('DRAFT', 'SCHEDULED', 'SENDING', 'COMPLETED', 'CANCELLED');

-- AlterEnum
ALTER TYPE "MessageKind" ADD VALUE 'SERVICE';

-- AlterEnum
ALTER TYPE "MessageStatus" ADD VALUE 'CANCELLED';

-- AlterTable
ALTER TABLE "message" ADD COLUMN     "campaign_id" UUID;

-- CreateTable
CREATE TABLE "campaign" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "kind" "MessageKind" NOT NULL,
    "sender" VARCHAR(20) NOT NULL,
    "text" TEXT NOT NULL,
    "template_id" UUID,
    "smart_encoding" BOOLEAN NOT NULL DEFAULT false,
    "default_country" CHAR(2),
    "list_ids" UUID[],
    "tags" TEXT[],
    "contact_ids" UUID[],
    "numbers" TEXT[],
    "scheduled_at" TIMESTAMP(3),
    "time_zone" TEXT NOT NULL DEFAULT 'Europe/Paris',
    "status" "CampaignStatus" NOT NULL DEFAULT 'DRAFT',
    "reservation_id" UUID,
    "recipient_count" INTEGER NOT NULL DEFAULT 0,
    "estimated_cost" DECIMAL(18,6) NOT NULL DEFAULT 0,
    "materialized_until" TEXT,
    "materialized_at" TIMESTAMP(3),
    "created_by_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMP(3),
    "completed_at" TIMESTAMP(3),
    "cancelled_at" TIMESTAMP(3),

    CONSTRAINT "campaign_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "campaign_account_id_id_idx" ON "campaign"("account_id", "id");

-- CreateIndex
CREATE INDEX "campaign_status_idx" ON "campaign"("status");

-- CreateIndex
CREATE INDEX "message_campaign_id_status_idx" ON "message"("campaign_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "message_campaign_id_recipient_key" ON "message"("campaign_id", "recipient");

-- AddForeignKey
ALTER TABLE "message" ADD CONSTRAINT "message_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaign" ADD CONSTRAINT "campaign_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
