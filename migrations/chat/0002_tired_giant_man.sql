CREATE TABLE "banned_users" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"moderator_id" bigint NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	CONSTRAINT "banned_users_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "chat_blocked_terms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"moderator_id" bigint NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "chat_follows" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"followed_at" timestamp with time zone,
	"version" integer NOT NULL,
	CONSTRAINT "chat_follows_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "chat_moderators" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_moderators_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "chat_room_settings" (
	"broadcaster_id" bigint PRIMARY KEY NOT NULL,
	"slow_mode_wait_time" integer,
	"follower_mode_duration" integer,
	"subscriber_mode" boolean DEFAULT false NOT NULL,
	"emote_mode" boolean DEFAULT false NOT NULL,
	"unique_chat_mode" boolean DEFAULT false NOT NULL,
	"non_moderator_chat_delay_duration" integer,
	CONSTRAINT "chat_room_settings_slow_range" CHECK ("chat_room_settings"."slow_mode_wait_time" between 3 and 120),
	CONSTRAINT "chat_room_settings_followers_range" CHECK ("chat_room_settings"."follower_mode_duration" between 0 and 129600),
	CONSTRAINT "chat_room_settings_delay_values" CHECK ("chat_room_settings"."non_moderator_chat_delay_duration" in (2, 4, 6))
);
--> statement-breakpoint
CREATE TABLE "chat_vips" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_vips_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id")
);
--> statement-breakpoint
CREATE INDEX "banned_users_room_created_idx" ON "banned_users" USING btree ("broadcaster_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "banned_users_expires_idx" ON "banned_users" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_blocked_terms_text_key" ON "chat_blocked_terms" USING btree ("broadcaster_id",lower("text"));