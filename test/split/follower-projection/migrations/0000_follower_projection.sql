CREATE TABLE "applied_events" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"applications" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "follow_projection" (
	"follower_id" text NOT NULL,
	"followed_id" text NOT NULL,
	"following" boolean NOT NULL,
	"followed_at" timestamp with time zone,
	"version" bigint NOT NULL,
	CONSTRAINT "follow_projection_follower_id_followed_id_pk" PRIMARY KEY("follower_id","followed_id")
);
--> statement-breakpoint
CREATE TABLE "known_users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"login" text NOT NULL
);