CREATE TABLE "vods" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "vods_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"stream_id" bigint NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"title" text NOT NULL,
	"language" text NOT NULL,
	"recording" text NOT NULL,
	"file" text,
	"status" text DEFAULT 'processing' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"failure" text,
	"duration_seconds" integer,
	"view_count" integer DEFAULT 0 NOT NULL,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vods_status" CHECK ("vods"."status" in ('processing', 'ready', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "vods" ADD CONSTRAINT "vods_stream_id_streams_id_fk" FOREIGN KEY ("stream_id") REFERENCES "public"."streams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vods" ADD CONSTRAINT "vods_broadcaster_id_channels_broadcaster_id_fk" FOREIGN KEY ("broadcaster_id") REFERENCES "public"."channels"("broadcaster_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "vods_recording_key" ON "vods" USING btree ("recording");--> statement-breakpoint
CREATE INDEX "vods_stream_id_idx" ON "vods" USING btree ("stream_id");--> statement-breakpoint
CREATE INDEX "vods_broadcaster_id_idx" ON "vods" USING btree ("broadcaster_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "vods_processing_idx" ON "vods" USING btree ("id") WHERE "vods"."status" = 'processing';--> statement-breakpoint
CREATE TRIGGER vods_updated_at BEFORE UPDATE ON vods FOR EACH ROW EXECUTE FUNCTION set_updated_at();
