import { usersEvents } from '../../contracts/users.ts'
import type { Transaction } from '../../platform/db/database.ts'
import { consume } from '../../platform/events/consume.ts'
import type { EventEnvelope } from '../../platform/events/types.ts'

type Profile = { user_id: string; login: string; display_name: string; version: number }

/**
 * Overwrites the copy of each profile when the event's version is at least the one held (a
 * registration and the profile update of one version say the same); a delivery's latest per
 * user, in user order, so replicas' batches lock rows in one order.
 */
async function applyProfiles(tx: Transaction, events: EventEnvelope<string, Profile>[]): Promise<void> {
  const profiles = events.map((e) => e.payload)
  await tx.sql`
    insert into subscription_users (user_id, login, display_name, version)
    select distinct on (user_id) user_id, login, display_name, version
    from unnest(${profiles.map((p) => p.user_id)}::bigint[], ${profiles.map((p) => p.login)}::text[],
      ${profiles.map((p) => p.display_name)}::text[], ${profiles.map((p) => p.version)}::int[]) as p(user_id, login, display_name, version)
    order by user_id, version desc
    on conflict (user_id) do update
      set login = excluded.login, display_name = excluded.display_name, version = excluded.version
      where subscription_users.version <= excluded.version`
}

/**
 * The users projection (`subscription_users`): logins and display names for Helix's views and
 * to know a gift's recipient exists; from live users events or the users snapshot when this
 * module joins late.
 */
export const profileProjection = consume(usersEvents, {
  'users.registered.v1': { handleMany: applyProfiles },
  'users.profile_updated.v1': { handleMany: applyProfiles },
})
