import type { Sql } from 'postgres'
import { usersEvents } from '../../contracts/users.ts'
import { snapshotOf } from '../../platform/events/snapshot.ts'

/** Rows per statement, and so events per outbox transaction (two or more per user). */
const PAGE = 1000

type UserRow = {
  id: string
  login: string
  display_name: string
  profile_image_url: string
  offline_image_url: string
  created_at: string
  profile_version: number
  roles_version: number
  /** Null unless a suspension is in force at the snapshot's moment on the module's clock. */
  suspension_reason: string | null
  suspension_ends_at: string | null
  suspended_by: string | null
  suspension_version: number
}
type RoleRow = { user_id: string; role: string; granted_by: string | null; roles_version: number }
type FollowRow = { follower_id: string; followed_id: string; followed_at: string; version: string }

// Every column is read as text: ids stay exact whatever the pool's parsers do; times as the live
// events write them (`Date#toISOString`, milliseconds). Pages are ordered by the table's bigint
// columns (qualified), not by the text columns of the same names.
const usersAfter = (sql: Sql, after: string, now: Date) => sql<UserRow[]>`
  select id::text as id, login, display_name, profile_image_url, offline_image_url, profile_version, roles_version,
         to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
         suspension_version, suspended_by::text as suspended_by,
         case when suspension_ends_at is null or suspension_ends_at > ${now}::timestamptz then suspension_reason end as suspension_reason,
         to_char(suspension_ends_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as suspension_ends_at
  from users u where u.id > ${after}::bigint order by u.id limit ${PAGE}`

const rolesBetween = (sql: Sql, after: string, last: string) => sql<RoleRow[]>`
  select r.user_id::text as user_id, r.role, r.granted_by::text as granted_by, u.roles_version
  from user_roles r join users u on u.id = r.user_id where r.user_id > ${after}::bigint and r.user_id <= ${last}::bigint`

// The pair and its follower's version in one statement, so from one moment: a change committed
// after it has a higher version and wins over this event at the consumer, whichever comes first.
const followsAfter = (sql: Sql, after: readonly [string, string]) => sql<FollowRow[]>`
  select f.follower_id::text as follower_id, f.followed_id::text as followed_id,
         to_char(f.followed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as followed_at, v.version::text as version
  from followers f join follow_versions v on v.follower_id = f.follower_id
  where (f.follower_id, f.followed_id) > (${after[0]}::bigint, ${after[1]}::bigint)
  order by f.follower_id, f.followed_id limit ${PAGE}`

/**
 * Users' current state for a consumer that joins late: each user as registered and their
 * profile as it now is, the roles they hold, the suspensions in force, and every current follow
 * with its follower's current version. Unfollowed pairs, revoked roles and lifted or ended
 * suspensions are absent, not announced: a late consumer starts empty, and live changes after
 * the read carry higher versions.
 */
export const usersSnapshot = snapshotOf(usersEvents, async function* ({ sql, types, clock }) {
  const perUser = ['users.registered.v1', 'users.profile_updated.v1', 'users.role_granted.v1', 'users.suspended.v1'] as const
  if (perUser.some((type) => types.has(type))) {
    // One moment for every page, on the clock the suspension-ends job and the logins judge by
    // (a test's moved one too), not the database's now().
    const now = clock()
    for (let after = '0'; ; ) {
      const page = await usersAfter(sql, after, now)
      const last = page.at(-1)
      if (!last) break
      const roles = types.has('users.role_granted.v1') ? await rolesBetween(sql, after, last.id) : []
      yield [
        ...page.flatMap((user) => [
          {
            type: 'users.registered.v1' as const,
            payload: {
              user_id: user.id,
              login: user.login,
              display_name: user.display_name,
              created_at: user.created_at,
              version: user.profile_version,
            },
          },
          {
            type: 'users.profile_updated.v1' as const,
            payload: {
              user_id: user.id,
              login: user.login,
              display_name: user.display_name,
              profile_image_url: user.profile_image_url,
              offline_image_url: user.offline_image_url,
              version: user.profile_version,
            },
          },
        ]),
        ...roles.map((grant) => ({
          type: 'users.role_granted.v1' as const,
          payload: { user_id: grant.user_id, role: grant.role, by_user_id: grant.granted_by, version: grant.roles_version },
        })),
        ...(types.has('users.suspended.v1') ? page : []).flatMap((user) =>
          user.suspension_reason === null
            ? []
            : [
                {
                  type: 'users.suspended.v1' as const,
                  payload: {
                    user_id: user.id,
                    reason: user.suspension_reason,
                    ends_at: user.suspension_ends_at,
                    by_user_id: user.suspended_by,
                    version: user.suspension_version,
                  },
                },
              ],
        ),
      ]
      after = last.id
    }
  }
  if (types.has('users.followed.v1')) {
    for (let after: readonly [string, string] = ['0', '0']; ; ) {
      const page = await followsAfter(sql, after)
      const last = page.at(-1)
      if (!last) break
      yield page.map((follow) => ({
        type: 'users.followed.v1' as const,
        payload: {
          follower_id: follow.follower_id,
          followed_id: follow.followed_id,
          followed_at: follow.followed_at,
          version: Number(follow.version),
        },
      }))
      after = [last.follower_id, last.followed_id]
    }
  }
})
