-- CreateEnum
CREATE TYPE "LedgerEntryKind" AS ENUM ('TOP_UP', 'CHARGE', 'REFUND', 'RESERVATION', 'RELEASE', 'TRANSFER_IN', 'TRANSFER_OUT', 'SUBSCRIPTION_FEE');

-- CreateEnum
CREATE TYPE "CreditReservationState" AS ENUM ('OPEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "TopUpState" AS ENUM ('APPROVED');

-- CreateEnum
CREATE TYPE "SupportTicketCategory" AS ENUM ('BILLING', 'TECHNICAL', 'DELIVERY', 'ACCOUNT', 'OTHER');

-- CreateEnum
CREATE TYPE "SupportTicketState" AS ENUM ('OPEN', 'CLOSED');

-- CreateTable
CREATE TABLE "ledger_entry" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "kind" "LedgerEntryKind" NOT NULL,
    "amount" DECIMAL(18,6) NOT NULL,
    "balance_after" DECIMAL(18,6) NOT NULL,
    "reason" TEXT NOT NULL,
    "reference_type" TEXT,
    "reference_id" TEXT,
    "user_id" UUID,
    "api_key_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credit_reservation" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "amount_held" DECIMAL(18,6) NOT NULL,
    "amount_settled" DECIMAL(18,6) NOT NULL DEFAULT 0,
    "amount_released" DECIMAL(18,6) NOT NULL DEFAULT 0,
    "state" "CreditReservationState" NOT NULL DEFAULT 'OPEN',
    "reason" TEXT NOT NULL,
    "reference_type" TEXT,
    "reference_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMP(3),

    CONSTRAINT "credit_reservation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "top_up" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "amount" DECIMAL(18,6) NOT NULL,
    "state" "TopUpState" NOT NULL,
    "provider" TEXT NOT NULL,
    "provider_reference" TEXT NOT NULL,
    "user_id" UUID,
    "api_key_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "top_up_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice" (
    "id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "account_id" UUID NOT NULL,
    "top_up_id" UUID NOT NULL,
    "amount_excluding_vat" DECIMAL(18,6) NOT NULL,
    "vat_rate" DECIMAL(6,4) NOT NULL,
    "vat_amount" DECIMAL(18,6) NOT NULL,
    "amount_including_vat" DECIMAL(18,6) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "customer_name" TEXT NOT NULL,
    "customer_company_number" TEXT NOT NULL,
    "customer_street" TEXT NOT NULL,
    "customer_postal_code" TEXT NOT NULL,
    "customer_city" TEXT NOT NULL,
    "customer_country" CHAR(2) NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_counter" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "last_number" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "invoice_counter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_key" (
    "account_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "input_hash" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "idempotency_key_pkey" PRIMARY KEY ("account_id","key")
);

-- CreateTable
CREATE TABLE "invitation" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "token_hash" TEXT NOT NULL,
    "invited_by_id" UUID NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "accepted_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invitation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbound_email" (
    "id" UUID NOT NULL,
    "recipient" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMP(3),

    CONSTRAINT "outbound_email_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "support_ticket" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "category" "SupportTicketCategory" NOT NULL,
    "description" TEXT NOT NULL,
    "payload_sample" TEXT,
    "contact_email" TEXT NOT NULL,
    "state" "SupportTicketState" NOT NULL DEFAULT 'OPEN',
    "response_due_at" TIMESTAMP(3) NOT NULL,
    "created_by_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMP(3),

    CONSTRAINT "support_ticket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "support_ticket_comment" (
    "id" UUID NOT NULL,
    "ticket_id" UUID NOT NULL,
    "author_id" UUID,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "support_ticket_comment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "support_ticket_attachment" (
    "id" UUID NOT NULL,
    "ticket_id" UUID NOT NULL,
    "file_name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "storage_key" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "support_ticket_attachment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ledger_entry_account_id_created_at_id_idx" ON "ledger_entry"("account_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "ledger_entry_account_id_kind_created_at_idx" ON "ledger_entry"("account_id", "kind", "created_at");

-- CreateIndex
CREATE INDEX "ledger_entry_reference_type_reference_id_idx" ON "ledger_entry"("reference_type", "reference_id");

-- CreateIndex
CREATE INDEX "credit_reservation_account_id_state_idx" ON "credit_reservation"("account_id", "state");

-- CreateIndex
CREATE INDEX "top_up_account_id_created_at_idx" ON "top_up"("account_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_number_key" ON "invoice"("number");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_top_up_id_key" ON "invoice"("top_up_id");

-- CreateIndex
CREATE INDEX "invoice_account_id_issued_at_idx" ON "invoice"("account_id", "issued_at");

-- CreateIndex
CREATE INDEX "idempotency_key_expires_at_idx" ON "idempotency_key"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "invitation_token_hash_key" ON "invitation"("token_hash");

-- CreateIndex
CREATE INDEX "invitation_account_id_email_idx" ON "invitation"("account_id", "email");

-- CreateIndex
CREATE INDEX "outbound_email_created_at_idx" ON "outbound_email"("created_at");

-- CreateIndex
CREATE INDEX "support_ticket_account_id_created_at_idx" ON "support_ticket"("account_id", "created_at");

-- CreateIndex
CREATE INDEX "support_ticket_comment_ticket_id_created_at_idx" ON "support_ticket_comment"("ticket_id", "created_at");

-- CreateIndex
CREATE INDEX "support_ticket_attachment_ticket_id_idx" ON "support_ticket_attachment"("ticket_id");

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_reservation" ADD CONSTRAINT "credit_reservation_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "top_up" ADD CONSTRAINT "top_up_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice" ADD CONSTRAINT "invoice_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice" ADD CONSTRAINT "invoice_top_up_id_fkey" FOREIGN KEY ("top_up_id") REFERENCES "top_up"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_key" ADD CONSTRAINT "idempotency_key_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invitation" ADD CONSTRAINT "invitation_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "support_ticket" ADD CONSTRAINT "support_ticket_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "support_ticket_comment" ADD CONSTRAINT "support_ticket_comment_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "support_ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "support_ticket_attachment" ADD CONSTRAINT "support_ticket_attachment_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "support_ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written (issue 4). The balance never goes below zero, whatever runs concurrently: the
-- debit statements are conditional, and this constraint is the last line of defence.
ALTER TABLE "account" ADD CONSTRAINT "account_credit_balance_not_negative" CHECK ("credit_balance" >= 0);

ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_amount_not_zero" CHECK ("amount" <> 0);
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_balance_after_not_negative" CHECK ("balance_after" >= 0);
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_sign_matches_kind" CHECK (
    ("kind" IN ('TOP_UP', 'REFUND', 'RELEASE', 'TRANSFER_IN') AND "amount" > 0)
    OR ("kind" IN ('CHARGE', 'RESERVATION', 'TRANSFER_OUT', 'SUBSCRIPTION_FEE') AND "amount" < 0));

ALTER TABLE "credit_reservation" ADD CONSTRAINT "credit_reservation_amounts_consistent" CHECK (
    "amount_held" > 0 AND "amount_settled" >= 0 AND "amount_released" >= 0
    AND "amount_settled" + "amount_released" <= "amount_held");

ALTER TABLE "top_up" ADD CONSTRAINT "top_up_amount_positive" CHECK ("amount" > 0);

-- A single counter row, so invoice numbers are consecutive.
ALTER TABLE "invoice_counter" ADD CONSTRAINT "invoice_counter_single_row" CHECK ("id" = 1);
INSERT INTO "invoice_counter" ("id", "last_number") VALUES (1, 0);

-- Invoices are immutable once issued.
CREATE FUNCTION "refuse_invoice_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoice % is immutable', OLD."number" USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER "invoice_immutable" BEFORE UPDATE OR DELETE ON "invoice"
    FOR EACH ROW EXECUTE FUNCTION "refuse_invoice_change"();
