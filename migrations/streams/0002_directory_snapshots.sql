CREATE TABLE "directory_snapshots" (
	"generation" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "directory_snapshots_generation_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"stream_ids" bigint[] NOT NULL,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL
);
