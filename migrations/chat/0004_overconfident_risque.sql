CREATE TABLE "chat_notices" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "chat_notices_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"broadcaster_id" bigint NOT NULL,
	"line" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_stream_sessions" (
	"stream_id" text PRIMARY KEY NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "chat_subscribers" (
	"subscription_id" text PRIMARY KEY NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"tier" text NOT NULL,
	"cumulative_months" integer NOT NULL,
	"is_gift" boolean NOT NULL,
	"current_period_end" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "emotes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"broadcaster_id" bigint,
	"name" text NOT NULL,
	"tier" text,
	"format" text NOT NULL,
	"content_type" text NOT NULL,
	"image" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "emotes_tier_check" CHECK ("emotes"."tier" in ('1000', '2000', '3000')),
	CONSTRAINT "emotes_format_check" CHECK ("emotes"."format" in ('static', 'animated')),
	CONSTRAINT "emotes_name_check" CHECK ("emotes"."name" ~ '^[A-Za-z0-9]{2,25}$')
);
--> statement-breakpoint
CREATE INDEX "chat_stream_sessions_channel_idx" ON "chat_stream_sessions" USING btree ("broadcaster_id","started_at");--> statement-breakpoint
CREATE INDEX "chat_subscribers_channel_user_idx" ON "chat_subscribers" USING btree ("broadcaster_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "emotes_channel_name_idx" ON "emotes" USING btree (coalesce("broadcaster_id", 0),"name");