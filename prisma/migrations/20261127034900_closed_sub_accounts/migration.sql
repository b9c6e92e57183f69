-- DropForeignKey
ALTER TABLE "ledger_entry" DROP CONSTRAINT "ledger_entry_account_id_fkey";

-- CreateTable
CREATE TABLE "closed_sub_account" (
    "id" UUID NOT NULL,
    "parent_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "opened_at" TIMESTAMP(3) NOT NULL,
    "closed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_by_user_id" UUID,
    "closed_by_api_key_id" UUID,
    "returned_credit" DECIMAL(18,6) NOT NULL,

    CONSTRAINT "closed_sub_account_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "closed_sub_account_parent_id_closed_at_idx" ON "closed_sub_account"("parent_id", "closed_at");

-- AddForeignKey
ALTER TABLE "closed_sub_account" ADD CONSTRAINT "closed_sub_account_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
