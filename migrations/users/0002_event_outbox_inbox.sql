-- The outbox and inbox are the platform's now, made by its own migration
-- (src/platform/migrations), which runs first in every module database. This entry stays, empty,
-- so the journal matches what databases made before that recorded as applied.
SELECT 1;
