ALTER TABLE "emotes" DROP COLUMN "content_type";--> statement-breakpoint
ALTER TABLE "emotes" DROP COLUMN "image";