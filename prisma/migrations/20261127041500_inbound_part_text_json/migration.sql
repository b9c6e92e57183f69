-- Hand-written: a part's text is kept as a JSON string (lone surrogates escaped), converting the
-- parts waiting for their set.
ALTER TABLE "inbound_part" RENAME COLUMN "text" TO "text_json";
UPDATE "inbound_part" SET "text_json" = to_json("text_json")::text;

-- Hand-written: messages of strict campaigns queued before message.strict_timing existed.
UPDATE "message" m SET "strict_timing" = true
  FROM "campaign" c
 WHERE m."campaign_id" = c."id" AND c."strict_timing" AND m."kind" = 'MARKETING' AND m."status" = 'ON_HOLD' AND NOT m."strict_timing";
