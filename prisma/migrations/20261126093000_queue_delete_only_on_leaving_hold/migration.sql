-- Hand-written: the queue row of a message goes when the message leaves ON_HOLD, as before, but
-- only messages that were ON_HOLD are looked up in dispatch_queue: a receipt (TRANSMITTED to a
-- final status), the most frequent update, no longer probes the queue for a row it never has.
-- Statuses never go back to ON_HOLD, so a message that was not ON_HOLD has no queue row.
CREATE OR REPLACE FUNCTION "message_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dispatch_queue WHERE message_id = ANY (ARRAY(
    SELECT id FROM old_messages WHERE status = 'ON_HOLD'
    EXCEPT ALL
    SELECT id FROM new_messages WHERE status = 'ON_HOLD'));
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
