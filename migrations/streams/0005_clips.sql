CREATE TABLE "clips" (
	"id" text PRIMARY KEY NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"creator_id" bigint NOT NULL,
	"stream_id" bigint,
	"vod_id" bigint,
	"vod_offset" integer,
	"title" text NOT NULL,
	"language" text NOT NULL,
	"game_id" text DEFAULT '' NOT NULL,
	"duration" integer NOT NULL,
	"source" jsonb,
	"status" text DEFAULT 'processing' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"failure" text,
	"file" text,
	"view_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "clips_status" CHECK ("clips"."status" in ('processing', 'ready', 'failed')),
	CONSTRAINT "clips_duration" CHECK ("clips"."duration" between 5 and 60)
);
--> statement-breakpoint
ALTER TABLE "clips" ADD CONSTRAINT "clips_broadcaster_id_channels_broadcaster_id_fk" FOREIGN KEY ("broadcaster_id") REFERENCES "public"."channels"("broadcaster_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clips" ADD CONSTRAINT "clips_stream_id_streams_id_fk" FOREIGN KEY ("stream_id") REFERENCES "public"."streams"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clips" ADD CONSTRAINT "clips_vod_id_vods_id_fk" FOREIGN KEY ("vod_id") REFERENCES "public"."vods"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "clips_broadcaster_id_idx" ON "clips" USING btree ("broadcaster_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "clips_stream_id_idx" ON "clips" USING btree ("stream_id");--> statement-breakpoint
CREATE INDEX "clips_vod_id_idx" ON "clips" USING btree ("vod_id");--> statement-breakpoint
CREATE INDEX "clips_processing_idx" ON "clips" USING btree ("created_at") WHERE "clips"."status" = 'processing';--> statement-breakpoint
CREATE TRIGGER clips_updated_at BEFORE UPDATE ON clips FOR EACH ROW EXECUTE FUNCTION set_updated_at();
