-- No read uses it: the watch time reads by the primary key (user first), the rollups group over
-- date_trunc expressions and scan the table whole. Every user's minute paid for it on ingest.
DROP INDEX "user_analytics_channel_day_idx";
--> statement-breakpoint
-- A viewer's row is updated every minute watched (the day, the stream): room on the page lets the
-- new version stay there (a HOT update, no primary-key entry to write). Pages made from now on.
ALTER TABLE "user_analytics" SET (fillfactor = 80);
--> statement-breakpoint
ALTER TABLE "stream_viewers" SET (fillfactor = 80);
