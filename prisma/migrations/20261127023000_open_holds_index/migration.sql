-- Hand-written (issue 6): open credit holds by age, for the dispatchers' sweep that closes a
-- sendMessage hold whose messages have all left the queue when the close that follows a record
-- was lost (the process died after the commit, or the close failed). Only open holds are in it.
CREATE INDEX "credit_reservation_open_idx" ON "credit_reservation" ("created_at") WHERE "state" = 'OPEN';
