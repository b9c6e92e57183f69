-- Trigram indexes serve the contact search by name (ILIKE '%...%'); pg_trgm ships with PostgreSQL.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateEnum
CREATE TYPE "BlacklistSource" AS ENUM ('MANUAL', 'STOP_REPLY', 'IMPORT');

-- CreateEnum
CREATE TYPE "ContactImportStatus" AS ENUM ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED');

-- CreateTable
CREATE TABLE "contact" (
    "id" UUID NOT NULL DEFAULT uuidv7(),
    "account_id" UUID NOT NULL,
    "number" VARCHAR(16) NOT NULL,
    "calling_code" VARCHAR(4) NOT NULL,
    "first_name" VARCHAR(100),
    "last_name" VARCHAR(100),
    "field_1" VARCHAR(100),
    "field_2" VARCHAR(100),
    "field_3" VARCHAR(100),
    "field_4" VARCHAR(100),
    "field_5" VARCHAR(100),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contact_field" (
    "account_id" UUID NOT NULL,
    "position" SMALLINT NOT NULL,
    "name" VARCHAR(40) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contact_field_pkey" PRIMARY KEY ("account_id","position")
);

-- CreateTable
CREATE TABLE "contact_tag" (
    "contact_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "tag" VARCHAR(50) NOT NULL,

    CONSTRAINT "contact_tag_pkey" PRIMARY KEY ("contact_id","tag")
);

-- CreateTable
CREATE TABLE "contact_list" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "default_calling_code" VARCHAR(4),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contact_list_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contact_list_member" (
    "list_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "added_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contact_list_member_pkey" PRIMARY KEY ("list_id","contact_id")
);

-- CreateTable
CREATE TABLE "blacklist_entry" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "number" VARCHAR(16) NOT NULL,
    "reason" VARCHAR(200),
    "source" "BlacklistSource" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blacklist_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contact_import" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "list_id" UUID,
    "created_by_id" UUID,
    "file_name" VARCHAR(255) NOT NULL,
    "file_bytes" BIGINT NOT NULL,
    "encoding" VARCHAR(20) NOT NULL,
    "delimiter" VARCHAR(1) NOT NULL,
    "mapping" JSONB NOT NULL,
    "status" "ContactImportStatus" NOT NULL DEFAULT 'PENDING',
    "committed_rows" INTEGER NOT NULL DEFAULT 0,
    "committed_batches" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "added_to_list" INTEGER NOT NULL DEFAULT 0,
    "duplicates_in_file" INTEGER NOT NULL DEFAULT 0,
    "error_rows" INTEGER NOT NULL DEFAULT 0,
    "total_rows" INTEGER,
    "failure" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "contact_import_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contact_import_error" (
    "import_id" UUID NOT NULL,
    "row" INTEGER NOT NULL,
    "value" TEXT NOT NULL,
    "reason" VARCHAR(40) NOT NULL,
    "message" TEXT NOT NULL,

    CONSTRAINT "contact_import_error_pkey" PRIMARY KEY ("import_id","row")
);

-- CreateTable
CREATE TABLE "template" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "template_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "contact_first_name_trgm_idx" ON "contact" USING GIN ("first_name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "contact_last_name_trgm_idx" ON "contact" USING GIN ("last_name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "contact_account_id_field_1_idx" ON "contact"("account_id", "field_1");

-- CreateIndex
CREATE INDEX "contact_account_id_field_2_idx" ON "contact"("account_id", "field_2");

-- CreateIndex
CREATE INDEX "contact_account_id_field_3_idx" ON "contact"("account_id", "field_3");

-- CreateIndex
CREATE INDEX "contact_account_id_field_4_idx" ON "contact"("account_id", "field_4");

-- CreateIndex
CREATE INDEX "contact_account_id_field_5_idx" ON "contact"("account_id", "field_5");

-- CreateIndex
CREATE UNIQUE INDEX "contact_account_id_number_key" ON "contact"("account_id", "number");

-- CreateIndex
CREATE UNIQUE INDEX "contact_field_account_id_name_key" ON "contact_field"("account_id", "name");

-- CreateIndex
CREATE INDEX "contact_tag_account_id_tag_idx" ON "contact_tag"("account_id", "tag");

-- CreateIndex
CREATE UNIQUE INDEX "contact_list_account_id_name_key" ON "contact_list"("account_id", "name");

-- CreateIndex
CREATE INDEX "contact_list_member_contact_id_idx" ON "contact_list_member"("contact_id");

-- CreateIndex
CREATE UNIQUE INDEX "blacklist_entry_account_id_number_key" ON "blacklist_entry"("account_id", "number");

-- CreateIndex
CREATE INDEX "contact_import_account_id_created_at_idx" ON "contact_import"("account_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "template_account_id_name_key" ON "template"("account_id", "name");

-- AddForeignKey
ALTER TABLE "contact" ADD CONSTRAINT "contact_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_field" ADD CONSTRAINT "contact_field_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_tag" ADD CONSTRAINT "contact_tag_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_list" ADD CONSTRAINT "contact_list_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_list_member" ADD CONSTRAINT "contact_list_member_list_id_fkey" FOREIGN KEY ("list_id") REFERENCES "contact_list"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_list_member" ADD CONSTRAINT "contact_list_member_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "blacklist_entry" ADD CONSTRAINT "blacklist_entry_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_import" ADD CONSTRAINT "contact_import_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_import" ADD CONSTRAINT "contact_import_list_id_fkey" FOREIGN KEY ("list_id") REFERENCES "contact_list"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_import_error" ADD CONSTRAINT "contact_import_error_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "contact_import"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "template" ADD CONSTRAINT "template_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written rules the schema language cannot say.
ALTER TABLE "contact_field" ADD CONSTRAINT "contact_field_position_check" CHECK ("position" BETWEEN 1 AND 5);
ALTER TABLE "contact" ADD CONSTRAINT "contact_number_e164_check" CHECK ("number" ~ '^\+[1-9][0-9]{5,14}$');
ALTER TABLE "blacklist_entry" ADD CONSTRAINT "blacklist_entry_number_e164_check" CHECK ("number" ~ '^\+[1-9][0-9]{5,14}$');
