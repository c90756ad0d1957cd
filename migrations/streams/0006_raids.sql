CREATE TABLE "raids" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "raids_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"from_broadcaster_id" bigint NOT NULL,
	"to_broadcaster_id" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"viewer_count" integer,
	"completes_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "raids_status" CHECK ("raids"."status" in ('pending', 'completed', 'canceled')),
	CONSTRAINT "raids_not_self" CHECK ("raids"."from_broadcaster_id" <> "raids"."to_broadcaster_id")
);
--> statement-breakpoint
ALTER TABLE "raids" ADD CONSTRAINT "raids_from_broadcaster_id_channels_broadcaster_id_fk" FOREIGN KEY ("from_broadcaster_id") REFERENCES "public"."channels"("broadcaster_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "raids" ADD CONSTRAINT "raids_to_broadcaster_id_channels_broadcaster_id_fk" FOREIGN KEY ("to_broadcaster_id") REFERENCES "public"."channels"("broadcaster_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "raids_from_broadcaster_id_idx" ON "raids" USING btree ("from_broadcaster_id");--> statement-breakpoint
CREATE INDEX "raids_to_broadcaster_id_idx" ON "raids" USING btree ("to_broadcaster_id");--> statement-breakpoint
CREATE UNIQUE INDEX "raids_one_pending_per_channel" ON "raids" USING btree ("from_broadcaster_id") WHERE "raids"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "raids_due_idx" ON "raids" USING btree ("completes_at") WHERE "raids"."status" = 'pending';--> statement-breakpoint
CREATE TRIGGER raids_updated_at BEFORE UPDATE ON raids FOR EACH ROW EXECUTE FUNCTION set_updated_at();
