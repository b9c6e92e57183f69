-- DropIndex
DROP INDEX "message_reservation_id_idx";

-- Hand-written (issue 6): the only question asked by credit hold is "does any of its messages
-- still wait?" (before the hold is released), so only waiting messages are indexed: a message
-- leaves the index when it is handed over instead of adding an entry at each status change.
CREATE INDEX "message_waiting_reservation_idx" ON "message" ("reservation_id") WHERE "status" = 'ON_HOLD';
