CREATE TABLE "emote_images" (
	"emote_id" uuid NOT NULL,
	"format" text NOT NULL,
	"scale" text NOT NULL,
	"content_type" text NOT NULL,
	"image" "bytea" NOT NULL,
	CONSTRAINT "emote_images_emote_id_format_scale_pk" PRIMARY KEY("emote_id","format","scale"),
	CONSTRAINT "emote_images_format_check" CHECK ("emote_images"."format" in ('static', 'animated')),
	CONSTRAINT "emote_images_scale_check" CHECK ("emote_images"."scale" in ('1.0', '2.0', '3.0'))
);
--> statement-breakpoint
ALTER TABLE "emote_images" ADD CONSTRAINT "emote_images_emote_id_emotes_id_fk" FOREIGN KEY ("emote_id") REFERENCES "public"."emotes"("id") ON DELETE cascade ON UPDATE no action;