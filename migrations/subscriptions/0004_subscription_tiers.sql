CREATE TABLE "subscription_tiers" (
	"broadcaster_id" bigint NOT NULL,
	"tier" text NOT NULL,
	"name" text NOT NULL,
	"price_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscription_tiers_broadcaster_id_tier_pk" PRIMARY KEY("broadcaster_id","tier"),
	CONSTRAINT "subscription_tiers_tier_known" CHECK ("subscription_tiers"."tier" in ('1000', '2000', '3000')),
	CONSTRAINT "subscription_tiers_price_positive" CHECK ("subscription_tiers"."price_minor" > 0)
);
--> statement-breakpoint
CREATE TRIGGER subscription_tiers_updated_at BEFORE UPDATE ON subscription_tiers FOR EACH ROW EXECUTE FUNCTION set_updated_at();
