CREATE TABLE "chat_chatters" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"first_message_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chat_chatters_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"text" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"reply_parent_id" uuid,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "chat_users" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"login" text NOT NULL,
	"display_name" text NOT NULL,
	"color" text,
	"profile_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "chat_messages_room_sent_idx" ON "chat_messages" USING btree ("broadcaster_id","sent_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "chat_users_login_idx" ON "chat_users" USING btree ("login");