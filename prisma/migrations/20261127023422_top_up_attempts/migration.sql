-- Top-ups in two steps (a review of the money paths): the attempt is committed PENDING before the
-- provider collects, then completed (APPROVED: credit and invoice) or DECLINED. A payment taken
-- is never lost when what follows fails: a retry with the same idempotency key, or the reconciliation
-- job (every 5 minutes), completes it (the provider de-duplicates on request_id). Existing top-ups were
-- all approved and keep no request id.

-- AlterEnum (PostgreSQL 12 and later add enum values inside a transaction)

ALTER TYPE "TopUpState" ADD VALUE 'PENDING';
ALTER TYPE "TopUpState" ADD VALUE 'DECLINED';

-- AlterTable
ALTER TABLE "top_up" ADD COLUMN     "amount_including_vat" DECIMAL(18,6),
ADD COLUMN     "decline_reason" TEXT,
ADD COLUMN     "request_id" TEXT,
ALTER COLUMN "provider_reference" DROP NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "top_up_request_id_key" ON "top_up"("request_id");
