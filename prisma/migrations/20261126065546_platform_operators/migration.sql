-- AlterTable
ALTER TABLE "inbound_message" ADD COLUMN     "routed_at" TIMESTAMP(3),
ADD COLUMN     "routed_by_id" UUID;

-- CreateTable
CREATE TABLE "platform_operator" (
    "user_id" UUID NOT NULL,
    "granted_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "platform_operator_pkey" PRIMARY KEY ("user_id")
);

-- AddForeignKey
ALTER TABLE "platform_operator" ADD CONSTRAINT "platform_operator_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_message" ADD CONSTRAINT "inbound_message_routed_by_id_fkey" FOREIGN KEY ("routed_by_id") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
