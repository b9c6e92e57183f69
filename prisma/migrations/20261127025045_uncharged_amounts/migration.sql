-- Charges of SMS already gone that the balance could not cover (a safety net of the ledger:
-- holds cover what is sent), kept for an operator instead of only logged.

-- CreateTable
CREATE TABLE "uncharged_amount" (
    "id" BIGSERIAL NOT NULL,
    "account_id" UUID NOT NULL,
    "amount" DECIMAL(18,6) NOT NULL,
    "reason" TEXT NOT NULL,
    "reference_type" TEXT,
    "reference_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settled_at" TIMESTAMP(3),

    CONSTRAINT "uncharged_amount_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "uncharged_amount_account_id_created_at_idx" ON "uncharged_amount"("account_id", "created_at");

-- AddForeignKey
ALTER TABLE "uncharged_amount" ADD CONSTRAINT "uncharged_amount_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
