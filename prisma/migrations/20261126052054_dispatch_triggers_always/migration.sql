-- DropForeignKey
-- Its check cost a lookup per message written; the triggers on message keep the queue (a
-- deleted message's row goes with it, below).
ALTER TABLE "dispatch_queue" DROP CONSTRAINT "dispatch_queue_message_id_fkey";

-- Hand-written: the triggers that keep dispatch_queue, awaiting_receipt and campaign_tally fire
-- even under session_replication_role = replica, which the materialisation of a campaign uses
-- (when the role may) to skip the per-row foreign-key checks of its inserts, having locked the
-- account and the campaign itself.
CREATE OR REPLACE FUNCTION "message_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dispatch_queue WHERE message_id = ANY (ARRAY(SELECT id FROM old_messages));
  INSERT INTO campaign_tally (campaign_id, status, count)
  SELECT o.campaign_id, o.status, -count(*) FROM old_messages o
   WHERE o.campaign_id IS NOT NULL AND EXISTS (SELECT 1 FROM campaign c WHERE c.id = o.campaign_id)
   GROUP BY o.campaign_id, o.status;
  RETURN NULL;
END $$;

ALTER TABLE "message" ENABLE ALWAYS TRIGGER "message_inserted";
ALTER TABLE "message" ENABLE ALWAYS TRIGGER "message_updated";
ALTER TABLE "message" ENABLE ALWAYS TRIGGER "message_deleted";
