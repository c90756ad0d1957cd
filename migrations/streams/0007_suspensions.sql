CREATE TABLE "media_cuts" (
	"stream_id" bigint PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suspensions" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"suspended" boolean NOT NULL,
	"ends_at" timestamp with time zone,
	"version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "media_cuts" ADD CONSTRAINT "media_cuts_stream_id_streams_id_fk" FOREIGN KEY ("stream_id") REFERENCES "public"."streams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE TRIGGER suspensions_updated_at BEFORE UPDATE ON suspensions FOR EACH ROW EXECUTE FUNCTION set_updated_at();
