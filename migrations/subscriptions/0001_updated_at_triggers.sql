-- updated_at is kept by the database (set_updated_at() is the platform's, src/platform/migrations).
CREATE TRIGGER channel_points_updated_at BEFORE UPDATE ON channel_points FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER custom_rewards_updated_at BEFORE UPDATE ON custom_rewards FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER redemptions_updated_at BEFORE UPDATE ON redemptions FOR EACH ROW EXECUTE FUNCTION set_updated_at();
