/**
 * What the snapshot tests share: a users database that already holds users and follows with
 * its outbox pruned (an installation running for a while), follow traffic during the snapshot,
 * and what the snapshot looked like in the users outbox.
 */
import type { Sql } from 'postgres'
import { PROJECTION_MODULE } from '../split/follower-projection/index.ts'
import type { GatewayClient, Viewer } from '../split/gateway-client.ts'

/**
 * Adds `users` users who each follow about `followsPerUser` others (follow versions above the
 * follow counts, as after earlier unfollows), then deletes every outbox row: what the relay
 * prunes an hour after publishing. The viewers, already registered, are followers like the rest.
 */
export async function seedInstallation(sql: Sql, options: { users: number; followsPerUser: number }): Promise<void> {
  await sql`
    insert into users (login, display_name, email, password_hash)
    select 'seed_' || i, 'Seed ' || i, 'seed' || i || '@snapshot.test', 'not a hash'
    from generate_series(1, ${options.users}) as i`
  await sql`
    with numbered as (select id, row_number() over (order by id) as n, count(*) over () as total from users)
    insert into followers (follower_id, followed_id, followed_at)
    select a.id, b.id, now() - (a.n * ${options.followsPerUser} + k) * interval '1 second'
    from numbered a
    cross join generate_series(1, ${options.followsPerUser}) as k
    join numbered b on b.n = (a.n - 1 + k * 37) % a.total + 1
    where a.id <> b.id
    on conflict do nothing`
  await sql`insert into follow_versions (follower_id, version) select follower_id, count(*) + 3 from followers group by follower_id
            on conflict (follower_id) do update set version = follow_versions.version + excluded.version`
  await sql`insert into user_roles (user_id, role) select id, 'partner' from users where id % 50 = 0 on conflict do nothing`
  await sql`delete from outbox`
}

/** Whom each viewer follows now, by user id. */
export async function followedBy(sql: Sql, viewers: Viewer[]): Promise<Map<Viewer, string[]>> {
  const rows = await sql<{ follower: string; followed: string }[]>`
    select follower_id::text as follower, followed_id::text as followed from followers
    where follower_id = any(${viewers.map((v) => v.id)}::bigint[])`
  return new Map(viewers.map((viewer) => [viewer, rows.filter((r) => r.follower === viewer.id).map((r) => r.followed)]))
}

/**
 * Each viewer unfollows and follows again users it followed at the start, one request after
 * another (so the users database orders each pair's changes), until stopped.
 */
export function startToggling(client: GatewayClient, follows: Map<Viewer, string[]>) {
  let stopped = false
  let toggles = 0
  const worker = async (viewer: Viewer, targets: string[]) => {
    const following = new Map(targets.map((id) => [id, true]))
    while (!stopped) {
      const id = targets[Math.floor(Math.random() * targets.length)]!
      const now = !following.get(id)
      await client.setFollowing(viewer, { id, login: id, token: '' }, now)
      following.set(id, now)
      toggles++
    }
  }
  const running = Promise.all([...follows].map(([viewer, targets]) => worker(viewer, targets)))
  return {
    toggles: () => toggles,
    stop: async () => {
      stopped = true
      await running
    },
  }
}

/** The users outbox as the snapshot for the projection left it, against the live events around it. */
export async function snapshotOverlap(sql: Sql) {
  const [row] = await sql<{ snapshot: number; interleaved: number; overtaken: number }[]>`
    with snapshot as (select * from outbox where target = ${PROJECTION_MODULE}),
    live as (select * from outbox where target is null)
    select
      (select count(*)::int from snapshot) as snapshot,
      -- live events committed between the snapshot's first and last batch
      (select count(*)::int from live where id between (select min(id) from snapshot) and (select max(id) from snapshot)) as interleaved,
      -- follows the snapshot announced that a live unfollow committed after it then ended
      -- (against each pair's last unfollow, a few dozen rows: a join on the payloads of the
      -- live events themselves ran as a nested loop, seconds per thousand snapshot rows)
      (select count(*)::int from snapshot s join (
          select payload->>'follower_id' as follower, payload->>'followed_id' as followed, max(id) as id
          from live where type = 'users.unfollowed.v1' group by 1, 2) l
         on s.type = 'users.followed.v1'
        and l.follower = s.payload->>'follower_id' and l.followed = s.payload->>'followed_id'
        and l.id > s.id) as overtaken`
  return row!
}

/** When the projection recorded users' snapshot complete, if it has. */
export async function snapshotCompleted(projectionSql: Sql): Promise<boolean> {
  const [row] = await projectionSql<{ completed: boolean }[]>`
    select completed_at is not null as completed from event_snapshots
    where consumer = ${PROJECTION_MODULE} and producer = 'users'`
  return row?.completed ?? false
}
