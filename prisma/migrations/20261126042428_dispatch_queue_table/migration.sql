-- Hand-written around Prisma's diff (issue 6, dispatch at volume): the message row is written
-- three times (created, handed over, final) and never re-indexed. Every index of message names
-- only columns fixed at creation, so its status changes are HOT updates (same page, no index
-- entry; fillfactor 70 leaves the room). What changes while a message moves lives elsewhere,
-- kept by statement triggers on message, so no code path can forget it:
-- - dispatch_queue: a row per ON_HOLD message (due, or held under a lease), with the partial
--   indexes the dispatcher needs; deleted when the message is handed over or ends;
-- - awaiting_receipt: the ids of the messages each statement handed over, with the time (the
--   48 h expiry of what gets no receipt): one row per batch, not per message;
-- - campaign_tally: a campaign's messages counted by status, as deltas (campaign progress).

-- CreateTable
CREATE TABLE "dispatch_queue" (
    "message_id" BIGINT NOT NULL,
    "priority" SMALLINT NOT NULL,
    "send_after" TIMESTAMP(3) NOT NULL,
    "claimed_until" TIMESTAMP(3),
    "attempts" SMALLINT NOT NULL DEFAULT 0,
    "reservation_id" UUID,
    "campaign_id" UUID,

    CONSTRAINT "dispatch_queue_pkey" PRIMARY KEY ("message_id")
);

-- CreateTable
CREATE TABLE "awaiting_receipt" (
    "id" BIGSERIAL NOT NULL,
    "submitted_at" TIMESTAMP(3) NOT NULL,
    "message_ids" BIGINT[],

    CONSTRAINT "awaiting_receipt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaign_tally" (
    "id" BIGSERIAL NOT NULL,
    "campaign_id" UUID NOT NULL,
    "status" "MessageStatus" NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "campaign_tally_pkey" PRIMARY KEY ("id")
);

-- What the message table held, moved.
INSERT INTO "dispatch_queue" ("message_id", "priority", "send_after", "claimed_until", "attempts", "reservation_id", "campaign_id")
SELECT "id", "priority", "send_after", "claimed_until", "attempts", "reservation_id", "campaign_id" FROM "message" WHERE "status" = 'ON_HOLD';
INSERT INTO "awaiting_receipt" ("submitted_at", "message_ids")
SELECT coalesce("submitted_at", now()), ARRAY["id"] FROM "message" WHERE "status" = 'TRANSMITTED';
INSERT INTO "campaign_tally" ("campaign_id", "status", "count")
SELECT "campaign_id", "status", count(*) FROM "message" WHERE "campaign_id" IS NOT NULL GROUP BY "campaign_id", "status";

-- DropIndex
DROP INDEX "message_campaign_id_status_idx";
DROP INDEX "message_recipient_sender_submitted_at_idx";
DROP INDEX "message_dispatch_queue_idx";
DROP INDEX "message_dispatch_held_idx";
DROP INDEX "message_transmitted_idx";
DROP INDEX "message_waiting_reservation_idx";

-- AlterTable
ALTER TABLE "message" DROP COLUMN "claimed_until";
ALTER TABLE "message" SET (fillfactor = 40);
-- A queue table: vacuumed and analysed after a few percent of changes rather than 20%.
ALTER TABLE "dispatch_queue" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- CreateIndex
CREATE INDEX "campaign_tally_campaign_id_idx" ON "campaign_tally"("campaign_id");

-- CreateIndex
CREATE INDEX "message_recipient_sender_id_idx" ON "message"("recipient", "sender", "id");

-- The queue's indexes: what can be claimed (never claimed, or given back); what is held or in
-- doubt (a small set); what a sendMessage credit hold or a campaign still waits for.
CREATE INDEX "dispatch_queue_due_idx" ON "dispatch_queue" ("priority", "send_after", "message_id") WHERE "claimed_until" IS NULL;
CREATE INDEX "dispatch_queue_held_idx" ON "dispatch_queue" ("claimed_until") WHERE "claimed_until" IS NOT NULL;
CREATE INDEX "dispatch_queue_reservation_idx" ON "dispatch_queue" ("reservation_id") WHERE "campaign_id" IS NULL;
CREATE INDEX "dispatch_queue_campaign_idx" ON "dispatch_queue" ("campaign_id") WHERE "campaign_id" IS NOT NULL;
CREATE INDEX "awaiting_receipt_submitted_at_idx" ON "awaiting_receipt" ("submitted_at");

-- AddForeignKey
ALTER TABLE "dispatch_queue" ADD CONSTRAINT "dispatch_queue_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaign_tally" ADD CONSTRAINT "campaign_tally_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The triggers. Statement-level with transition tables: one set-based statement per batch.
CREATE FUNCTION "message_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dispatch_queue (message_id, priority, send_after, reservation_id, campaign_id)
  SELECT id, priority, send_after, reservation_id, campaign_id FROM new_messages WHERE status = 'ON_HOLD';
  INSERT INTO campaign_tally (campaign_id, status, count)
  SELECT campaign_id, status, count(*) FROM new_messages WHERE campaign_id IS NOT NULL GROUP BY campaign_id, status;
  RETURN NULL;
END $$;

-- Out of ON_HOLD: out of the queue; handed over: listed for the expiry; counters move. Ids go
-- through arrays so that each statement is an index lookup per row whatever the planner guesses
-- of a transition table.
CREATE FUNCTION "message_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dispatch_queue WHERE message_id = ANY (ARRAY(SELECT id FROM new_messages WHERE status <> 'ON_HOLD'));
  INSERT INTO awaiting_receipt (submitted_at, message_ids)
  SELECT now(), array_agg(id) FROM new_messages WHERE status = 'TRANSMITTED' HAVING count(*) > 0;
  INSERT INTO campaign_tally (campaign_id, status, count)
  SELECT campaign_id, status, sum(delta) FROM (
      SELECT campaign_id, status, 1 AS delta FROM new_messages WHERE campaign_id IS NOT NULL
      UNION ALL
      SELECT campaign_id, status, -1 AS delta FROM old_messages WHERE campaign_id IS NOT NULL) d
   GROUP BY campaign_id, status HAVING sum(delta) <> 0;
  RETURN NULL;
END $$;

CREATE FUNCTION "message_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO campaign_tally (campaign_id, status, count)
  SELECT o.campaign_id, o.status, -count(*) FROM old_messages o
   WHERE o.campaign_id IS NOT NULL AND EXISTS (SELECT 1 FROM campaign c WHERE c.id = o.campaign_id)
   GROUP BY o.campaign_id, o.status;
  RETURN NULL;
END $$;

CREATE TRIGGER "message_inserted" AFTER INSERT ON "message" REFERENCING NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION "message_inserted"();
CREATE TRIGGER "message_updated" AFTER UPDATE ON "message" REFERENCING OLD TABLE AS old_messages NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION "message_updated"();
CREATE TRIGGER "message_deleted" AFTER DELETE ON "message" REFERENCING OLD TABLE AS old_messages FOR EACH STATEMENT EXECUTE FUNCTION "message_deleted"();
