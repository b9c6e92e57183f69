-- AlterTable
ALTER TABLE "ledger_entry" ADD COLUMN     "position" BIGSERIAL NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_position_key" ON "ledger_entry"("position");

-- CreateIndex
CREATE INDEX "ledger_entry_account_id_position_idx" ON "ledger_entry"("account_id", "position");
