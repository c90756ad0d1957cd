CREATE TABLE "renewal_attempts" (
	"subscription_id" uuid NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"tier" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "renewal_attempts_subscription_id_period_end_pk" PRIMARY KEY("subscription_id","period_end"),
	CONSTRAINT "renewal_attempts_tier_known" CHECK ("renewal_attempts"."tier" in ('1000', '2000', '3000')),
	CONSTRAINT "renewal_attempts_amount_positive" CHECK ("renewal_attempts"."amount" > 0)
);
