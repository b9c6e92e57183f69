-- CreateEnum
CREATE TYPE "AccountStatus" AS ENUM ('PENDING_CONFIRMATION', 'ACTIVE', 'SUSPENDED');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('OWNER', 'ADMIN', 'MANAGER', 'AGENT', 'ANALYST', 'BILLING');

-- CreateEnum
CREATE TYPE "PlanCode" AS ENUM ('STANDARD', 'PREMIUM', 'GOLD', 'ENTERPRISES');

-- CreateEnum
CREATE TYPE "AdditionalService" AS ENUM ('VOICE_SMS', 'SMS_2_0', 'FILE_SHARING', 'SUB_ACCOUNTS', 'HLR_MNP', 'DATABASE_RENTAL', 'OTP_MFA');

-- CreateTable
CREATE TABLE "plan" (
    "code" "PlanCode" NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "live_links" INTEGER NOT NULL,
    "live_shared_files" INTEGER NOT NULL,
    "sub_accounts" INTEGER NOT NULL,
    "contact_lists" INTEGER NOT NULL,
    "sms_templates" INTEGER NOT NULL,
    "open_conversations" INTEGER NOT NULL,
    "monthly_data_exports" INTEGER NOT NULL,
    "team_members" INTEGER NOT NULL,
    "analytics_retention_months" INTEGER NOT NULL,
    "support_response_hours" INTEGER NOT NULL,

    CONSTRAINT "plan_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "user" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "first_name" TEXT NOT NULL,
    "last_name" TEXT NOT NULL,
    "mobile" TEXT NOT NULL,
    "mobile_confirmed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "company_number" TEXT NOT NULL,
    "street" TEXT NOT NULL,
    "postal_code" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "country" CHAR(2) NOT NULL,
    "status" "AccountStatus" NOT NULL DEFAULT 'PENDING_CONFIRMATION',
    "plan_code" "PlanCode" NOT NULL DEFAULT 'STANDARD',
    "parent_id" UUID,
    "credit_balance" DECIMAL(18,6) NOT NULL DEFAULT 0,
    "service_messages_consent_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "membership" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "role" "Role" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "membership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mobile_confirmation" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "code_hash" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "confirmed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mobile_confirmation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "refresh_token" (
    "id" UUID NOT NULL,
    "family_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "rotated_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refresh_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "prefix" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "created_by_id" UUID NOT NULL,
    "last_used_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account_service" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "service" "AdditionalService" NOT NULL,
    "activated_by_id" UUID,
    "legal_notice_version" TEXT,
    "legal_notice_accepted_at" TIMESTAMP(3),
    "activated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_service_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "limit_counter" (
    "account_id" UUID NOT NULL,
    "limit" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "limit_counter_pkey" PRIMARY KEY ("account_id","limit","period")
);

-- CreateTable
CREATE TABLE "service_message" (
    "id" UUID NOT NULL,
    "recipient" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMP(3),

    CONSTRAINT "service_message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "plan_position_key" ON "plan"("position");

-- CreateIndex
CREATE UNIQUE INDEX "user_email_key" ON "user"("email");

-- CreateIndex
CREATE INDEX "account_parent_id_idx" ON "account"("parent_id");

-- CreateIndex
CREATE INDEX "membership_account_id_idx" ON "membership"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "membership_user_id_account_id_key" ON "membership"("user_id", "account_id");

-- CreateIndex
CREATE INDEX "mobile_confirmation_user_id_idx" ON "mobile_confirmation"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "refresh_token_token_hash_key" ON "refresh_token"("token_hash");

-- CreateIndex
CREATE INDEX "refresh_token_family_id_idx" ON "refresh_token"("family_id");

-- CreateIndex
CREATE INDEX "refresh_token_expires_at_idx" ON "refresh_token"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_prefix_key" ON "api_key"("prefix");

-- CreateIndex
CREATE INDEX "api_key_account_id_idx" ON "api_key"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "account_service_account_id_service_key" ON "account_service"("account_id", "service");

-- CreateIndex
CREATE INDEX "service_message_created_at_idx" ON "service_message"("created_at");

-- AddForeignKey
ALTER TABLE "account" ADD CONSTRAINT "account_plan_code_fkey" FOREIGN KEY ("plan_code") REFERENCES "plan"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account" ADD CONSTRAINT "account_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "membership" ADD CONSTRAINT "membership_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "membership" ADD CONSTRAINT "membership_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mobile_confirmation" ADD CONSTRAINT "mobile_confirmation_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refresh_token" ADD CONSTRAINT "refresh_token_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account_service" ADD CONSTRAINT "account_service_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "limit_counter" ADD CONSTRAINT "limit_counter_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Seed: the plans of SPEC section 2. The figures are data, changed later with an UPDATE in a
-- new migration, never in code.
INSERT INTO "plan" ("code", "name", "position", "live_links", "live_shared_files", "sub_accounts", "contact_lists", "sms_templates", "open_conversations", "monthly_data_exports", "team_members", "analytics_retention_months", "support_response_hours") VALUES
    ('STANDARD', 'Standard', 1, 3, 3, 3, 10, 3, 650, 3, 3, 12, 48),
    ('PREMIUM', 'Premium', 2, 5, 5, 10, 20, 5, 5000, 10, 5, 12, 24),
    ('GOLD', 'Gold', 3, 10, 10, 20, 50, 10, 25000, 20, 10, 12, 8),
    ('ENTERPRISES', 'Enterprises', 4, 50, 50, 50, 500, 50, 1000000, 50, 30, 24, 4);
