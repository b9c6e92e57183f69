-- AlterTable
ALTER TABLE "campaign" ADD COLUMN     "two_way" BOOLEAN NOT NULL DEFAULT false;
