-- Hand-written note (issue 6): receipts of a known message or part that change nothing (late,
-- duplicate, out of order) are recorded here and ignored (SPEC section 5); kept 30 days.

-- CreateTable
CREATE TABLE "ignored_receipt" (
    "id" BIGSERIAL NOT NULL,
    "connection" TEXT NOT NULL,
    "carrier_message_id" TEXT NOT NULL,
    "message_id" BIGINT NOT NULL,
    "status" "MessageStatus" NOT NULL,
    "carrier_status" TEXT NOT NULL,
    "error_code" TEXT,
    "done_at" TIMESTAMP(3),
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ignored_receipt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ignored_receipt_message_id_idx" ON "ignored_receipt"("message_id");

-- CreateIndex
CREATE INDEX "ignored_receipt_received_at_idx" ON "ignored_receipt"("received_at");
