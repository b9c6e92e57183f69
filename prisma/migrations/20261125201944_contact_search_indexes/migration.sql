-- DropIndex
DROP INDEX "contact_account_id_field_1_idx";

-- DropIndex
DROP INDEX "contact_account_id_field_2_idx";

-- DropIndex
DROP INDEX "contact_account_id_field_3_idx";

-- DropIndex
DROP INDEX "contact_account_id_field_4_idx";

-- DropIndex
DROP INDEX "contact_account_id_field_5_idx";

-- DropIndex
DROP INDEX "contact_first_name_trgm_idx";

-- DropIndex
DROP INDEX "contact_last_name_trgm_idx";

-- CreateIndex
CREATE INDEX "contact_account_id_id_idx" ON "contact"("account_id", "id");

-- Hand-written (issue 5, import and search at a million contacts): an import wrote 9 indexes per
-- new contact. The two trigram indexes become one on the lower-cased "first last" (the search
-- matches each word in either name, and a word has no space, so it cannot straddle the two);
-- the field indexes become partial, so fields an account does not use cost nothing, and end
-- with id so an equality search is read newest first and stops at the page size.
CREATE INDEX "contact_name_search_trgm_idx" ON "contact" USING GIN ((lower(coalesce("first_name", '') || ' ' || coalesce("last_name", ''))) gin_trgm_ops);
CREATE INDEX "contact_field_1_search_idx" ON "contact" ("account_id", "field_1", "id") WHERE "field_1" IS NOT NULL;
CREATE INDEX "contact_field_2_search_idx" ON "contact" ("account_id", "field_2", "id") WHERE "field_2" IS NOT NULL;
CREATE INDEX "contact_field_3_search_idx" ON "contact" ("account_id", "field_3", "id") WHERE "field_3" IS NOT NULL;
CREATE INDEX "contact_field_4_search_idx" ON "contact" ("account_id", "field_4", "id") WHERE "field_4" IS NOT NULL;
CREATE INDEX "contact_field_5_search_idx" ON "contact" ("account_id", "field_5", "id") WHERE "field_5" IS NOT NULL;
