ALTER TABLE "refresh_tokens" ADD COLUMN "access_claims" jsonb;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "roles_revoked_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "sessions_revoked_idx" ON "sessions" USING btree ("revoked_at") WHERE "sessions"."revoked_at" is not null;--> statement-breakpoint
CREATE INDEX "users_roles_revoked_idx" ON "users" USING btree ("roles_revoked_at") WHERE "users"."roles_revoked_at" is not null;