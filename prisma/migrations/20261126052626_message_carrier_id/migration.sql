-- AlterTable
ALTER TABLE "message" ADD COLUMN     "carrier_message_id" TEXT;
