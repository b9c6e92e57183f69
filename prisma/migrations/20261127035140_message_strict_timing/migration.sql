-- AlterTable
ALTER TABLE "message" ADD COLUMN     "strict_timing" BOOLEAN NOT NULL DEFAULT false;
