CREATE TABLE "analytics_totals" (
	"name" text PRIMARY KEY NOT NULL,
	"value" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "channel_minutes" (
	"broadcaster_id" bigint NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"viewers" integer DEFAULT 0 NOT NULL,
	"anonymous_viewers" integer DEFAULT 0 NOT NULL,
	"chatters" integer DEFAULT 0 NOT NULL,
	"messages" integer DEFAULT 0 NOT NULL,
	"follows" integer DEFAULT 0 NOT NULL,
	"new_subs_1000" integer DEFAULT 0 NOT NULL,
	"new_subs_2000" integer DEFAULT 0 NOT NULL,
	"new_subs_3000" integer DEFAULT 0 NOT NULL,
	"gifted_subs_1000" integer DEFAULT 0 NOT NULL,
	"gifted_subs_2000" integer DEFAULT 0 NOT NULL,
	"gifted_subs_3000" integer DEFAULT 0 NOT NULL,
	"donations" integer DEFAULT 0 NOT NULL,
	"redemptions" integer DEFAULT 0 NOT NULL,
	"raids_in" integer DEFAULT 0 NOT NULL,
	"raids_out" integer DEFAULT 0 NOT NULL,
	"raid_viewers_in" integer DEFAULT 0 NOT NULL,
	"raid_viewers_out" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "channel_minutes_broadcaster_id_minute_pk" PRIMARY KEY("broadcaster_id","minute")
);
--> statement-breakpoint
CREATE TABLE "chatter_minutes" (
	"broadcaster_id" bigint NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"user_id" bigint NOT NULL,
	"messages" integer NOT NULL,
	CONSTRAINT "chatter_minutes_broadcaster_id_minute_user_id_pk" PRIMARY KEY("broadcaster_id","minute","user_id")
);
--> statement-breakpoint
CREATE TABLE "ingested_facts" (
	"key" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "revenue_analytics" (
	"broadcaster_id" bigint NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"tier" text NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	"payments" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "revenue_analytics_broadcaster_id_minute_source_tier_currency_pk" PRIMARY KEY("broadcaster_id","minute","source","tier","currency"),
	CONSTRAINT "revenue_analytics_sign" CHECK (("revenue_analytics"."source" = 'refund') = ("revenue_analytics"."amount" < 0) or "revenue_analytics"."amount" = 0)
);
--> statement-breakpoint
CREATE TABLE "rollup_refreshes" (
	"rollup" text PRIMARY KEY NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stream_analytics" (
	"stream_id" bigint PRIMARY KEY NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"summary" jsonb,
	"summarized_at" timestamp with time zone,
	"changes" integer DEFAULT 0 NOT NULL,
	"summarized_changes" integer
);
--> statement-breakpoint
CREATE TABLE "stream_viewers" (
	"stream_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"minutes" integer NOT NULL,
	CONSTRAINT "stream_viewers_stream_id_user_id_pk" PRIMARY KEY("stream_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "subscription_states" (
	"subscription_id" text PRIMARY KEY NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"tier" text NOT NULL,
	"active" boolean NOT NULL,
	"current_period_end" timestamp with time zone NOT NULL,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_analytics" (
	"user_id" bigint NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"day" date NOT NULL,
	"watch_minutes" integer DEFAULT 0 NOT NULL,
	"chat_messages" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "user_analytics_user_id_day_broadcaster_id_pk" PRIMARY KEY("user_id","day","broadcaster_id")
);
--> statement-breakpoint
CREATE INDEX "stream_analytics_broadcaster_started_idx" ON "stream_analytics" USING btree ("broadcaster_id","started_at");--> statement-breakpoint
CREATE INDEX "stream_analytics_live_idx" ON "stream_analytics" USING btree ("broadcaster_id") WHERE "stream_analytics"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "subscription_states_active_idx" ON "subscription_states" USING btree ("tier") WHERE "subscription_states"."active";--> statement-breakpoint
CREATE INDEX "user_analytics_channel_day_idx" ON "user_analytics" USING btree ("broadcaster_id","day");