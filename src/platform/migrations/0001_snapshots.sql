-- Snapshots for late-joining consumers (DESIGN §6). An outbox row with a target goes to that
-- consuming module alone (a snapshot's events); without one, to every consumer of its type.
ALTER TABLE "outbox" ADD COLUMN IF NOT EXISTS "target" text;
--> statement-breakpoint
-- In a consumer's database: the producers it has asked for a snapshot (requested_at) and whose
-- snapshot it has received to the end (completed_at). A row means "do not ask again at start".
CREATE TABLE IF NOT EXISTS "event_snapshots" (
	"consumer" text NOT NULL,
	"producer" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "event_snapshots_consumer_producer_pk" PRIMARY KEY("consumer","producer")
);
