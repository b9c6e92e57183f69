-- AlterTable
ALTER TABLE "carrier_part" ADD COLUMN     "carrier_status" TEXT,
ADD COLUMN     "done_at" TIMESTAMP(3),
ADD COLUMN     "error_code" TEXT,
ADD COLUMN     "receipt_at" TIMESTAMP(3),
ADD COLUMN     "receipt_status" "MessageStatus";

-- AlterTable
ALTER TABLE "unmatched_receipt" ADD COLUMN     "reference" BIGINT;
