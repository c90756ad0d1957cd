ALTER TABLE "users" ADD COLUMN "broadcaster_type" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_broadcaster_type" CHECK ("users"."broadcaster_type" in ('', 'affiliate', 'partner'));--> statement-breakpoint
-- Backfill: partners granted before the column existed.
UPDATE "users" SET "broadcaster_type" = 'partner' WHERE "id" IN (SELECT "user_id" FROM "user_roles" WHERE "role" = 'partner');
