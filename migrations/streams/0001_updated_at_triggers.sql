-- updated_at is kept by the database (set_updated_at() is the platform's, src/platform/migrations).
CREATE TRIGGER broadcasters_updated_at BEFORE UPDATE ON broadcasters FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER categories_updated_at BEFORE UPDATE ON categories FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER channels_updated_at BEFORE UPDATE ON channels FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER stream_keys_updated_at BEFORE UPDATE ON stream_keys FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER streams_updated_at BEFORE UPDATE ON streams FOR EACH ROW EXECUTE FUNCTION set_updated_at();
