CREATE TABLE "broadcasters" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"login" text NOT NULL,
	"display_name" text NOT NULL,
	"profile_image_url" text DEFAULT '' NOT NULL,
	"offline_image_url" text DEFAULT '' NOT NULL,
	"profile_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "categories" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "categories_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"box_art_url" text DEFAULT '' NOT NULL,
	"igdb_id" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"broadcaster_id" bigint PRIMARY KEY NOT NULL,
	"broadcaster_language" text DEFAULT 'en' NOT NULL,
	"game_id" bigint,
	"title" text DEFAULT '' NOT NULL,
	"delay" integer DEFAULT 0 NOT NULL,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"content_classification_labels" text[] DEFAULT '{}' NOT NULL,
	"is_branded_content" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channels_title_length" CHECK (char_length("channels"."title") <= 140)
);
--> statement-breakpoint
CREATE TABLE "stream_keys" (
	"broadcaster_id" bigint PRIMARY KEY NOT NULL,
	"nonce" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "streams" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "streams_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"broadcaster_id" bigint NOT NULL,
	"key_hash" text NOT NULL,
	"client_id" text NOT NULL,
	"server" text DEFAULT 'nginx-rtmp' NOT NULL,
	"viewer_count" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_update_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_broadcaster_id_broadcasters_user_id_fk" FOREIGN KEY ("broadcaster_id") REFERENCES "public"."broadcasters"("user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_game_id_categories_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."categories"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stream_keys" ADD CONSTRAINT "stream_keys_broadcaster_id_channels_broadcaster_id_fk" FOREIGN KEY ("broadcaster_id") REFERENCES "public"."channels"("broadcaster_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "streams" ADD CONSTRAINT "streams_broadcaster_id_channels_broadcaster_id_fk" FOREIGN KEY ("broadcaster_id") REFERENCES "public"."channels"("broadcaster_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "broadcasters_login_idx" ON "broadcasters" USING btree ("login");--> statement-breakpoint
CREATE UNIQUE INDEX "categories_name_key" ON "categories" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "channels_game_id_idx" ON "channels" USING btree ("game_id");--> statement-breakpoint
CREATE INDEX "streams_broadcaster_id_idx" ON "streams" USING btree ("broadcaster_id");--> statement-breakpoint
CREATE UNIQUE INDEX "streams_one_live_per_channel" ON "streams" USING btree ("broadcaster_id") WHERE "streams"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "streams_live_by_viewers_idx" ON "streams" USING btree ("viewer_count" DESC NULLS LAST,"id") WHERE "streams"."ended_at" is null;