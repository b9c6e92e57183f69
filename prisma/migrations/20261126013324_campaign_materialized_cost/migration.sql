-- AlterTable
ALTER TABLE "campaign" ADD COLUMN     "materialized_cost" DECIMAL(18,6) NOT NULL DEFAULT 0;
