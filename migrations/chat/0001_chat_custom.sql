-- updated_at is kept by the database (set_updated_at() is the platform's, src/platform/migrations).
CREATE TRIGGER chat_users_updated_at BEFORE UPDATE ON chat_users FOR EACH ROW EXECUTE FUNCTION set_updated_at();
