-- DropTable
DROP TABLE "service_message";
