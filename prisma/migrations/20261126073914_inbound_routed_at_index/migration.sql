-- CreateIndex
CREATE INDEX "inbound_message_routed_at_idx" ON "inbound_message"("routed_at");
