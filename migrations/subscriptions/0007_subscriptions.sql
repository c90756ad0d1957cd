CREATE TABLE "subscription_follows" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"following" boolean NOT NULL,
	"version" integer NOT NULL,
	CONSTRAINT "subscription_follows_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "subscription_gifts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"payment_id" uuid NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"gifter_id" bigint NOT NULL,
	"is_anonymous" boolean NOT NULL,
	"is_community" boolean NOT NULL,
	"tier" text NOT NULL,
	"count" integer NOT NULL,
	"given" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscription_gifts_count_range" CHECK ("subscription_gifts"."count" between 1 and 100 and "subscription_gifts"."given" between 0 and "subscription_gifts"."count")
);
--> statement-breakpoint
CREATE TABLE "subscription_users" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"login" text NOT NULL,
	"display_name" text NOT NULL,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"tier" text NOT NULL,
	"next_tier" text,
	"status" text NOT NULL,
	"renews" boolean NOT NULL,
	"is_gift" boolean DEFAULT false NOT NULL,
	"gifter_id" bigint,
	"gift_anonymous" boolean DEFAULT false NOT NULL,
	"gift_id" uuid,
	"message" text DEFAULT '' NOT NULL,
	"cumulative_months" integer NOT NULL,
	"streak_months" integer NOT NULL,
	"current_period_start" timestamp with time zone NOT NULL,
	"current_period_end" timestamp with time zone NOT NULL,
	"renewal_requested_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscriptions_status_known" CHECK ("subscriptions"."status" in ('active', 'ended')),
	CONSTRAINT "subscriptions_tier_known" CHECK ("subscriptions"."tier" in ('1000', '2000', '3000') and coalesce("subscriptions"."next_tier", '1000') in ('1000', '2000', '3000')),
	CONSTRAINT "subscriptions_months_positive" CHECK ("subscriptions"."cumulative_months" >= 1 and "subscriptions"."streak_months" >= 1 and "subscriptions"."streak_months" <= "subscriptions"."cumulative_months")
);
--> statement-breakpoint
ALTER TABLE "subscription_gifts" ADD CONSTRAINT "subscription_gifts_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_gift_id_subscription_gifts_id_fk" FOREIGN KEY ("gift_id") REFERENCES "public"."subscription_gifts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "subscription_gifts_payment_key" ON "subscription_gifts" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "subscription_gifts_gifter_idx" ON "subscription_gifts" USING btree ("broadcaster_id","gifter_id");--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_channel_user_key" ON "subscriptions" USING btree ("broadcaster_id","user_id");--> statement-breakpoint
CREATE INDEX "subscriptions_user_idx" ON "subscriptions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "subscriptions_gift_idx" ON "subscriptions" USING btree ("gift_id");--> statement-breakpoint
CREATE INDEX "subscriptions_due_idx" ON "subscriptions" USING btree ("current_period_end") WHERE "subscriptions"."status" = 'active';--> statement-breakpoint
CREATE TRIGGER subscriptions_updated_at BEFORE UPDATE ON subscriptions FOR EACH ROW EXECUTE FUNCTION set_updated_at();
