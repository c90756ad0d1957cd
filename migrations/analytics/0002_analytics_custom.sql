-- The monthly rollups sum the daily ones (a few rows per channel and day) rather than every
-- minute row again: a refresh of all four scans the minute rows once, not twice. Unique
-- viewers and chatters of a month are still counted from user_analytics (not sums of days).
DROP MATERIALIZED VIEW channel_monthly;
--> statement-breakpoint
CREATE MATERIALIZED VIEW channel_monthly AS
WITH days AS (
  SELECT broadcaster_id, date_trunc('month', day)::date AS month,
    sum(minutes_viewed)::int AS minutes_viewed,
    max(peak_viewers)::int AS peak_viewers,
    sum(watch_minutes)::bigint AS watch_minutes,
    sum(messages)::int AS messages,
    sum(follows)::int AS follows,
    sum(new_subs_1000)::int AS new_subs_1000,
    sum(new_subs_2000)::int AS new_subs_2000,
    sum(new_subs_3000)::int AS new_subs_3000,
    sum(gifted_subs_1000)::int AS gifted_subs_1000,
    sum(gifted_subs_2000)::int AS gifted_subs_2000,
    sum(gifted_subs_3000)::int AS gifted_subs_3000,
    sum(donations)::int AS donations,
    sum(redemptions)::int AS redemptions,
    sum(raids_in)::int AS raids_in,
    sum(raids_out)::int AS raids_out,
    sum(raid_viewers_in)::int AS raid_viewers_in,
    sum(raid_viewers_out)::int AS raid_viewers_out
  FROM channel_daily GROUP BY 1, 2
), audience AS (
  SELECT broadcaster_id, date_trunc('month', day)::date AS month,
    count(DISTINCT user_id) FILTER (WHERE watch_minutes > 0)::int AS unique_viewers,
    count(DISTINCT user_id) FILTER (WHERE chat_messages > 0)::int AS unique_chatters
  FROM user_analytics GROUP BY 1, 2
)
SELECT broadcaster_id, month,
  coalesce(d.minutes_viewed, 0) AS minutes_viewed,
  coalesce(d.peak_viewers, 0) AS peak_viewers,
  coalesce(d.watch_minutes, 0) AS watch_minutes,
  coalesce(a.unique_viewers, 0) AS unique_viewers,
  coalesce(a.unique_chatters, 0) AS unique_chatters,
  coalesce(d.messages, 0) AS messages,
  coalesce(d.follows, 0) AS follows,
  coalesce(d.new_subs_1000, 0) AS new_subs_1000,
  coalesce(d.new_subs_2000, 0) AS new_subs_2000,
  coalesce(d.new_subs_3000, 0) AS new_subs_3000,
  coalesce(d.gifted_subs_1000, 0) AS gifted_subs_1000,
  coalesce(d.gifted_subs_2000, 0) AS gifted_subs_2000,
  coalesce(d.gifted_subs_3000, 0) AS gifted_subs_3000,
  coalesce(d.donations, 0) AS donations,
  coalesce(d.redemptions, 0) AS redemptions,
  coalesce(d.raids_in, 0) AS raids_in,
  coalesce(d.raids_out, 0) AS raids_out,
  coalesce(d.raid_viewers_in, 0) AS raid_viewers_in,
  coalesce(d.raid_viewers_out, 0) AS raid_viewers_out
FROM days d FULL JOIN audience a USING (broadcaster_id, month);
--> statement-breakpoint
CREATE UNIQUE INDEX channel_monthly_key ON channel_monthly (broadcaster_id, month);
--> statement-breakpoint
DROP MATERIALIZED VIEW revenue_monthly;
--> statement-breakpoint
CREATE MATERIALIZED VIEW revenue_monthly AS
SELECT broadcaster_id, date_trunc('month', day)::date AS month, source, tier, currency,
  sum(amount)::bigint AS amount, sum(payments)::int AS payments
FROM revenue_daily GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
CREATE UNIQUE INDEX revenue_monthly_key ON revenue_monthly (broadcaster_id, month, source, tier, currency);
