-- CreateEnum
CREATE TYPE "DataExportKind" AS ENUM ('CONTACTS');

-- CreateEnum
CREATE TYPE "DataExportStatus" AS ENUM ('PENDING', 'RUNNING', 'READY', 'FAILED', 'EXPIRED');

-- CreateTable
CREATE TABLE "data_export" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "created_by_id" UUID,
    "kind" "DataExportKind" NOT NULL,
    "criteria" JSONB NOT NULL,
    "status" "DataExportStatus" NOT NULL DEFAULT 'PENDING',
    "row_count" INTEGER NOT NULL DEFAULT 0,
    "byte_size" BIGINT,
    "failure" TEXT,
    "token_hash" VARCHAR(64) NOT NULL,
    "expires_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "data_export_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "data_export_token_hash_key" ON "data_export"("token_hash");

-- CreateIndex
CREATE INDEX "data_export_account_id_created_at_idx" ON "data_export"("account_id", "created_at");

-- CreateIndex
CREATE INDEX "data_export_expires_at_idx" ON "data_export"("expires_at");

-- AddForeignKey
ALTER TABLE "data_export" ADD CONSTRAINT "data_export_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
