-- CreateTable
CREATE TABLE "queued_settlement" (
    "id" BIGSERIAL NOT NULL,
    "reservation_id" UUID NOT NULL,
    "amount" DECIMAL(18,6) NOT NULL,
    "count" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "queued_settlement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "queued_settlement_reservation_id_idx" ON "queued_settlement"("reservation_id");

-- AddForeignKey
ALTER TABLE "queued_settlement" ADD CONSTRAINT "queued_settlement_reservation_id_fkey" FOREIGN KEY ("reservation_id") REFERENCES "credit_reservation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
