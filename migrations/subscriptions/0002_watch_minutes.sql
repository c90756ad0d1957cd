CREATE TABLE "watch_minutes" (
	"broadcaster_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"minutes" bigint NOT NULL,
	CONSTRAINT "watch_minutes_broadcaster_id_user_id_pk" PRIMARY KEY("broadcaster_id","user_id")
);
