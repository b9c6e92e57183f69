-- Campaigns may ask for strict timing (SPEC section 4): marketing that would wait for a sending
-- window is refused at send instead of held.

-- AlterTable
ALTER TABLE "campaign" ADD COLUMN     "strict_timing" BOOLEAN NOT NULL DEFAULT false;
