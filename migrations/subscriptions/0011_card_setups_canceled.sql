ALTER TABLE "card_setups" DROP CONSTRAINT "card_setups_status_known";--> statement-breakpoint
ALTER TABLE "card_setups" ADD COLUMN "canceled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "card_setups" ADD CONSTRAINT "card_setups_status_known" CHECK ("card_setups"."status" in ('pending', 'saved', 'failed', 'canceled'));