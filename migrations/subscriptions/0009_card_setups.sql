CREATE TABLE "card_setups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"purchaser_id" bigint NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"subscription_id" uuid NOT NULL,
	"tier" text NOT NULL,
	"provider" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"provider_reference" text,
	"provider_setup_intent" text,
	"provider_customer" text,
	"provider_payment_method" text,
	"checkout_url" text,
	"saved_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "card_setups_status_known" CHECK ("card_setups"."status" in ('pending', 'saved', 'failed')),
	CONSTRAINT "card_setups_provider_known" CHECK ("card_setups"."provider" in ('dev', 'stripe'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "card_setups_provider_reference_key" ON "card_setups" USING btree ("provider","provider_reference");--> statement-breakpoint
CREATE INDEX "card_setups_purchaser_idx" ON "card_setups" USING btree ("purchaser_id","broadcaster_id","created_at");--> statement-breakpoint
CREATE TRIGGER card_setups_updated_at BEFORE UPDATE ON card_setups FOR EACH ROW EXECUTE FUNCTION set_updated_at();
