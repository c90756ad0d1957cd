CREATE TABLE "chat_first_subscriptions" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"subscribed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chat_first_subscriptions_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "chat_subscribers" ADD COLUMN "streak_months" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX "chat_first_subscriptions_order_idx" ON "chat_first_subscriptions" USING btree ("broadcaster_id","subscribed_at","user_id");