-- The rollups: materialized views with unique indexes, so the rollups job refreshes them
-- CONCURRENTLY and reads are never blocked. Days and months are UTC.
CREATE MATERIALIZED VIEW channel_daily AS
WITH minutes AS (
  SELECT broadcaster_id, date_trunc('day', minute AT TIME ZONE 'UTC')::date AS day,
    count(*) FILTER (WHERE viewers + anonymous_viewers > 0)::int AS minutes_viewed,
    max(viewers + anonymous_viewers)::int AS peak_viewers,
    sum(viewers + anonymous_viewers)::bigint AS watch_minutes,
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
  FROM channel_minutes GROUP BY 1, 2
), audience AS (
  SELECT broadcaster_id, date_trunc('day', day)::date AS day,
    count(DISTINCT user_id) FILTER (WHERE watch_minutes > 0)::int AS unique_viewers,
    count(DISTINCT user_id) FILTER (WHERE chat_messages > 0)::int AS unique_chatters
  FROM user_analytics GROUP BY 1, 2
)
SELECT broadcaster_id, day,
  coalesce(m.minutes_viewed, 0) AS minutes_viewed,
  coalesce(m.peak_viewers, 0) AS peak_viewers,
  coalesce(m.watch_minutes, 0) AS watch_minutes,
  coalesce(a.unique_viewers, 0) AS unique_viewers,
  coalesce(a.unique_chatters, 0) AS unique_chatters,
  coalesce(m.messages, 0) AS messages,
  coalesce(m.follows, 0) AS follows,
  coalesce(m.new_subs_1000, 0) AS new_subs_1000,
  coalesce(m.new_subs_2000, 0) AS new_subs_2000,
  coalesce(m.new_subs_3000, 0) AS new_subs_3000,
  coalesce(m.gifted_subs_1000, 0) AS gifted_subs_1000,
  coalesce(m.gifted_subs_2000, 0) AS gifted_subs_2000,
  coalesce(m.gifted_subs_3000, 0) AS gifted_subs_3000,
  coalesce(m.donations, 0) AS donations,
  coalesce(m.redemptions, 0) AS redemptions,
  coalesce(m.raids_in, 0) AS raids_in,
  coalesce(m.raids_out, 0) AS raids_out,
  coalesce(m.raid_viewers_in, 0) AS raid_viewers_in,
  coalesce(m.raid_viewers_out, 0) AS raid_viewers_out
FROM minutes m FULL JOIN audience a USING (broadcaster_id, day);
--> statement-breakpoint
CREATE UNIQUE INDEX channel_daily_key ON channel_daily (broadcaster_id, day);
--> statement-breakpoint
CREATE MATERIALIZED VIEW channel_monthly AS
WITH minutes AS (
  SELECT broadcaster_id, date_trunc('month', minute AT TIME ZONE 'UTC')::date AS month,
    count(*) FILTER (WHERE viewers + anonymous_viewers > 0)::int AS minutes_viewed,
    max(viewers + anonymous_viewers)::int AS peak_viewers,
    sum(viewers + anonymous_viewers)::bigint AS watch_minutes,
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
  FROM channel_minutes GROUP BY 1, 2
), audience AS (
  SELECT broadcaster_id, date_trunc('month', day)::date AS month,
    count(DISTINCT user_id) FILTER (WHERE watch_minutes > 0)::int AS unique_viewers,
    count(DISTINCT user_id) FILTER (WHERE chat_messages > 0)::int AS unique_chatters
  FROM user_analytics GROUP BY 1, 2
)
SELECT broadcaster_id, month,
  coalesce(m.minutes_viewed, 0) AS minutes_viewed,
  coalesce(m.peak_viewers, 0) AS peak_viewers,
  coalesce(m.watch_minutes, 0) AS watch_minutes,
  coalesce(a.unique_viewers, 0) AS unique_viewers,
  coalesce(a.unique_chatters, 0) AS unique_chatters,
  coalesce(m.messages, 0) AS messages,
  coalesce(m.follows, 0) AS follows,
  coalesce(m.new_subs_1000, 0) AS new_subs_1000,
  coalesce(m.new_subs_2000, 0) AS new_subs_2000,
  coalesce(m.new_subs_3000, 0) AS new_subs_3000,
  coalesce(m.gifted_subs_1000, 0) AS gifted_subs_1000,
  coalesce(m.gifted_subs_2000, 0) AS gifted_subs_2000,
  coalesce(m.gifted_subs_3000, 0) AS gifted_subs_3000,
  coalesce(m.donations, 0) AS donations,
  coalesce(m.redemptions, 0) AS redemptions,
  coalesce(m.raids_in, 0) AS raids_in,
  coalesce(m.raids_out, 0) AS raids_out,
  coalesce(m.raid_viewers_in, 0) AS raid_viewers_in,
  coalesce(m.raid_viewers_out, 0) AS raid_viewers_out
FROM minutes m FULL JOIN audience a USING (broadcaster_id, month);
--> statement-breakpoint
CREATE UNIQUE INDEX channel_monthly_key ON channel_monthly (broadcaster_id, month);
--> statement-breakpoint
CREATE MATERIALIZED VIEW revenue_daily AS
SELECT broadcaster_id, date_trunc('day', minute AT TIME ZONE 'UTC')::date AS day, source, tier, currency,
  sum(amount)::bigint AS amount, sum(payments)::int AS payments
FROM revenue_analytics GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
CREATE UNIQUE INDEX revenue_daily_key ON revenue_daily (broadcaster_id, day, source, tier, currency);
--> statement-breakpoint
CREATE MATERIALIZED VIEW revenue_monthly AS
SELECT broadcaster_id, date_trunc('month', minute AT TIME ZONE 'UTC')::date AS month, source, tier, currency,
  sum(amount)::bigint AS amount, sum(payments)::int AS payments
FROM revenue_analytics GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
CREATE UNIQUE INDEX revenue_monthly_key ON revenue_monthly (broadcaster_id, month, source, tier, currency);
