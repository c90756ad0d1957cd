CREATE TABLE "payment_refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"payment_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"refunded_total" bigint NOT NULL,
	"provider_refund" text,
	"refunded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_refunds_amount_positive" CHECK ("payment_refunds"."amount" > 0 and "payment_refunds"."amount" <= "payment_refunds"."refunded_total")
);
--> statement-breakpoint
-- A donation may now be refunded in parts: one row per refund, its own id.
ALTER TABLE "donation_refunds" DROP CONSTRAINT "donation_refunds_pkey";--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "refunded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "donation_refunds" ADD COLUMN "id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "provider_customer" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "provider_payment_method" text;--> statement-breakpoint
ALTER TABLE "payment_refunds" ADD CONSTRAINT "payment_refunds_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_refunds_step_key" ON "payment_refunds" USING btree ("payment_id","refunded_total");--> statement-breakpoint
CREATE INDEX "donation_refunds_donation_idx" ON "donation_refunds" USING btree ("donation_id");--> statement-breakpoint
-- The payments refunded before the ledger kept refunds: each one entry of its whole amount.
INSERT INTO "payment_refunds" ("payment_id", "amount", "currency", "refunded_total", "refunded_at")
SELECT "id", "amount", "currency", "amount", "refunded_at" FROM "payments" WHERE "status" = 'refunded';