CREATE TABLE "channel_points" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"balance" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_points_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id"),
	CONSTRAINT "channel_points_balance_non_negative" CHECK ("channel_points"."balance" >= 0)
);
--> statement-breakpoint
CREATE TABLE "custom_rewards" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"title" text NOT NULL,
	"prompt" text DEFAULT '' NOT NULL,
	"cost" bigint NOT NULL,
	"background_color" text DEFAULT '#9147FF' NOT NULL,
	"is_enabled" boolean DEFAULT true NOT NULL,
	"is_paused" boolean DEFAULT false NOT NULL,
	"is_user_input_required" boolean DEFAULT false NOT NULL,
	"is_max_per_stream_enabled" boolean DEFAULT false NOT NULL,
	"max_per_stream" integer DEFAULT 0 NOT NULL,
	"is_max_per_user_per_stream_enabled" boolean DEFAULT false NOT NULL,
	"max_per_user_per_stream" integer DEFAULT 0 NOT NULL,
	"is_global_cooldown_enabled" boolean DEFAULT false NOT NULL,
	"global_cooldown_seconds" integer DEFAULT 0 NOT NULL,
	"should_redemptions_skip_request_queue" boolean DEFAULT false NOT NULL,
	"redemptions_redeemed_current_stream" integer DEFAULT 0 NOT NULL,
	"cooldown_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "custom_rewards_cost_positive" CHECK ("custom_rewards"."cost" >= 1),
	CONSTRAINT "custom_rewards_limits_non_negative" CHECK ("custom_rewards"."max_per_stream" >= 0 and "custom_rewards"."max_per_user_per_stream" >= 0 and "custom_rewards"."global_cooldown_seconds" >= 0 and "custom_rewards"."redemptions_redeemed_current_stream" >= 0)
);
--> statement-breakpoint
CREATE TABLE "channel_points_ledger" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "channel_points_ledger_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"delta" bigint NOT NULL,
	"reason" text NOT NULL,
	"reference" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_points_ledger_delta_non_zero" CHECK ("channel_points_ledger"."delta" <> 0)
);
--> statement-breakpoint
CREATE TABLE "redemptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"broadcaster_id" bigint NOT NULL,
	"reward_id" uuid NOT NULL,
	"reward_title" text NOT NULL,
	"reward_prompt" text NOT NULL,
	"user_id" bigint NOT NULL,
	"user_input" text DEFAULT '' NOT NULL,
	"cost" bigint NOT NULL,
	"status" text NOT NULL,
	"redeemed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "redemptions_status_known" CHECK ("redemptions"."status" in ('UNFULFILLED', 'FULFILLED', 'CANCELED'))
);
--> statement-breakpoint
CREATE TABLE "reward_user_counts" (
	"reward_id" uuid NOT NULL,
	"user_id" bigint NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "reward_user_counts_reward_id_user_id_pk" PRIMARY KEY("reward_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "reward_user_counts" ADD CONSTRAINT "reward_user_counts_reward_id_custom_rewards_id_fk" FOREIGN KEY ("reward_id") REFERENCES "public"."custom_rewards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "custom_rewards_title_key" ON "custom_rewards" USING btree ("broadcaster_id",lower("title"));--> statement-breakpoint
CREATE UNIQUE INDEX "channel_points_ledger_cause_key" ON "channel_points_ledger" USING btree ("broadcaster_id","user_id","reason","reference");--> statement-breakpoint
CREATE INDEX "redemptions_reward_idx" ON "redemptions" USING btree ("reward_id","status","redeemed_at");