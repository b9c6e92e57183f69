-- CreateTable
CREATE TABLE "inbound_part" (
    "set_key" TEXT NOT NULL,
    "part_index" SMALLINT NOT NULL,
    "total" SMALLINT NOT NULL,
    "connection" TEXT NOT NULL,
    "from_number" TEXT NOT NULL,
    "to_number" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "inbound_part_pkey" PRIMARY KEY ("set_key","part_index")
);

-- CreateIndex
CREATE INDEX "inbound_part_received_at_idx" ON "inbound_part"("received_at");
