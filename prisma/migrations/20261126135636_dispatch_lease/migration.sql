-- Hand-written around Prisma's diff (issue 6): a claim no longer re-indexes its queue rows.
-- claimed_until was named by the predicates of the due and held indexes, so every claim was a
-- non-HOT update (a new entry in three indexes per message, and full-page images of index pages).
-- Now no index names it: a claim is a HOT update, and fillfactor 50 leaves each page the room for
-- the new versions of all its rows (a claim takes a page's rows in one transaction, so none of
-- them can be pruned in between). The due index keeps the held rows: a claim skips them, mostly
-- from the bulk cursor on. What the held index found (leases that ran out) is found through
-- dispatch_lease: one row per claim, listing its messages.
-- Apply it with the workers stopped: a dispatcher of the previous version does not write leases,
-- so what it claims after this migration could not be found in doubt should it die.

-- CreateTable
CREATE TABLE "dispatch_lease" (
    "id" BIGSERIAL NOT NULL,
    "claimed_until" TIMESTAMP(3) NOT NULL,
    "message_ids" BIGINT[],

    CONSTRAINT "dispatch_lease_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dispatch_lease_claimed_until_idx" ON "dispatch_lease"("claimed_until");

-- What is held now (or in doubt) gets a lease ending when the latest of them does.
INSERT INTO "dispatch_lease" ("claimed_until", "message_ids")
SELECT max("claimed_until"), array_agg("message_id") FROM "dispatch_queue" WHERE "claimed_until" IS NOT NULL HAVING count(*) > 0;

DROP INDEX "dispatch_queue_held_idx";
DROP INDEX "dispatch_queue_due_idx";
CREATE INDEX "dispatch_queue_due_idx" ON "dispatch_queue" ("priority", "send_after", "message_id");
ALTER TABLE "dispatch_queue" SET (fillfactor = 50);
