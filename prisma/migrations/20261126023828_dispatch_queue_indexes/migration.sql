-- DropIndex
DROP INDEX "message_status_priority_send_after_id_idx";

-- Hand-written (issue 6, dispatch at volume). The queue index held every message by status, so
-- each of the three status changes of a message (claim, hand-over, receipt) added an entry, and
-- claims walked past the messages in flight. Now: what can be claimed (never claimed, or given
-- back), what is held or in doubt (a small set), and what waits for a receipt (for the 48 h
-- expiry); a message leaves each as it moves on.
CREATE INDEX "message_dispatch_queue_idx" ON "message" ("priority", "send_after", "id") WHERE "status" = 'ON_HOLD' AND "claimed_until" IS NULL;
CREATE INDEX "message_dispatch_held_idx" ON "message" ("claimed_until") WHERE "status" = 'ON_HOLD' AND "claimed_until" IS NOT NULL;
CREATE INDEX "message_transmitted_idx" ON "message" ("submitted_at") WHERE "status" = 'TRANSMITTED';
