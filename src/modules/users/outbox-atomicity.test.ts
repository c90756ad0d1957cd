/**
 * Every path that publishes commits its outbox row in the transaction of the change it announces.
 * Triggers this test installs record each row written with the id of its top-level transaction
 * (`pg_current_xact_id()`, the same inside savepoints); a record exists only if its transaction
 * committed. An event written after the change committed, or the change written apart from the
 * event, shows as two ids. The paths are the `publish(tx, '<type>', …)` calls in this module's
 * source: a new one fails the first test until it has a case here.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { usersEvents, type UsersEventType } from '../../contracts/users.ts'
import { waitFor } from '../../platform/events/test-probe.ts'
import { movableClock } from '../../platform/testing/clock.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

type Write = { table: string; op: string; xid: string; type: string | null }
/** A publishing path: the call site, a request that takes it, and the tables its event announces changes of. */
type Path = { type: UsersEventType; site: string; tables: string[]; status: number; request: () => Promise<Response> }

const HOUR_MS = 3_600_000
const clock = movableClock()
let t: TestPlatform
let fan: SignedIn
let streamer: SignedIn
/** Suspended for an hour of `clock`, which the job's path moves past. */
let timedOut: SignedIn
let adminToken: string

beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000', SUSPENSION_ENDS_EVERY_MS: '50' }, { clock })
  fan = await registerAccount(t, 'atomic_fan')
  streamer = await registerAccount(t, 'atomic_streamer')
  timedOut = await registerAccount(t, 'atomic_timed_out')
  const admin = await registerAccount(t, 'atomic_admin')
  adminToken = await accessTokenFor(t, admin.id, ['admin'])
  const endsAt = new Date(clock().getTime() + HOUR_MS).toISOString()
  expect((await send(`/api/users/${timedOut.id}/suspension`, 'PUT', adminToken, { reason: 'Atomicity', ends_at: endsAt })).status).toBe(200)
  await t.sql.users!.unsafe(`
    create table write_probe (id bigserial primary key, "table" text, op text, xid xid8, type text);
    create function probe_write() returns trigger language plpgsql as $$
    begin
      insert into write_probe ("table", op, xid) values (tg_table_name, tg_op, pg_current_xact_id());
      return null;
    end $$;
    create function probe_event() returns trigger language plpgsql as $$
    begin
      insert into write_probe ("table", op, xid, type) values (tg_table_name, tg_op, pg_current_xact_id(), new.type);
      return null;
    end $$;
    create trigger probe after insert on outbox for each row execute function probe_event();
    do $$
    declare name text;
    begin
      for name in select tablename from pg_tables where schemaname = 'public' and tablename not in ('outbox', 'write_probe') loop
        execute format('create trigger probe after insert or update or delete on %I for each row execute function probe_write()', name);
      end loop;
    end $$;`)
}, 30_000)
afterAll(() => t.close(), 30_000)

const send = (path: string, method: string, token: string, json?: unknown) => t.request(path, { method, token, json })

const PATHS: Path[] = [
  {
    type: 'users.registered.v1',
    site: 'accounts.ts',
    tables: ['users', 'user_settings'],
    status: 201,
    request: () =>
      t.request('/api/auth/register', {
        method: 'POST',
        json: { login: 'atomic_newcomer', email: 'atomic_newcomer@example.test', password: 'correct horse battery' },
      }),
  },
  {
    type: 'users.profile_updated.v1',
    site: 'profiles.ts',
    tables: ['users'],
    status: 200,
    request: () => send('/api/users/me', 'PATCH', streamer.accessToken, { description: 'Live at eight' }),
  },
  {
    type: 'users.followed.v1',
    site: 'follows.ts',
    tables: ['followers', 'follow_versions'],
    status: 204,
    request: () => send(`/api/users/${streamer.id}/follow`, 'PUT', fan.accessToken),
  },
  {
    type: 'users.unfollowed.v1',
    site: 'follows.ts',
    tables: ['followers', 'follow_versions'],
    status: 204,
    request: () => send(`/api/users/${streamer.id}/follow`, 'DELETE', fan.accessToken),
  },
  {
    type: 'users.role_granted.v1',
    site: 'roles.ts',
    // The partner role is copied onto the user's row (broadcaster_type), with the roles version.
    tables: ['user_roles', 'users'],
    status: 204,
    request: () => send(`/api/users/${streamer.id}/roles/partner`, 'PUT', adminToken),
  },
  {
    type: 'users.role_revoked.v1',
    site: 'roles.ts',
    tables: ['user_roles', 'users'],
    status: 204,
    request: () => send(`/api/users/${streamer.id}/roles/partner`, 'DELETE', adminToken),
  },
  {
    type: 'users.suspended.v1',
    site: 'suspensions.ts',
    // The suspension on the user's row, and every session of theirs ended.
    tables: ['users', 'sessions'],
    status: 200,
    request: () => send(`/api/users/${streamer.id}/suspension`, 'PUT', adminToken, { reason: 'Atomicity' }),
  },
  {
    type: 'users.reinstated.v1',
    site: 'suspensions.ts',
    tables: ['users'],
    status: 204,
    request: () => send(`/api/users/${streamer.id}/suspension`, 'DELETE', adminToken),
  },
  {
    type: 'users.reinstated.v1',
    site: 'suspensions.ts',
    // The job's: no request, the clock moved past the end; answered as if one had been.
    tables: ['users'],
    status: 204,
    request: async () => {
      clock.advance(HOUR_MS)
      await waitFor('the end announced', async () => {
        const [row] = await t.sql.users!`select count(*)::int as n from outbox where type = 'users.reinstated.v1' and payload->>'user_id' = ${timedOut.id}`
        return row!.n === 1
      })
      return new Response(null, { status: 204 })
    },
  },
]

/** `file:type` of every `publish(…)` call in this module's source, once per call. */
function publishCalls(): string[] {
  const files = readdirSync(import.meta.dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('test-'))
  return files.flatMap((file) => {
    // The definition of `publish` itself, and its JSDoc, are not calls.
    if (file === 'publish.ts') return []
    const source = readFileSync(resolve(import.meta.dir, file), 'utf8')
    // Calls of the module's own `publish`, not `something.publish(` (the revocations' pub/sub).
    const calls = [...source.matchAll(/(?<![.\w])publish\(/g)].length
    const typed = [...source.matchAll(/(?<![.\w])publish\(\s*\w+\s*,\s*'([\w.]+)'/g)].map((m) => `${file}:${m[1]}`)
    // A type that is not a literal cannot be matched to a case: say so rather than miss it.
    if (typed.length !== calls) throw new Error(`${file}: a publish() call whose event type is not a string literal`)
    return typed
  })
}

describe('the outbox row commits with the change it announces', () => {
  test('every publish() call and every event type has a path here', () => {
    expect(publishCalls().sort()).toEqual(PATHS.map((p) => `${p.site}:${p.type}`).sort())
    expect([...new Set<string>(PATHS.map((p) => p.type))].sort()).toEqual(Object.keys(usersEvents).sort())
  })

  for (const path of PATHS) {
    test(`${path.type} (${path.site}): one transaction for the event and every change of ${path.tables.join(', ')}`, async () => {
      const [probe] = await t.sql.users!<{ mark: string }[]>`select coalesce(max(id), 0) as mark from write_probe`
      expect((await path.request()).status).toBe(path.status)
      const writes = await t.sql.users!<Write[]>`
        select "table", op, xid::text, type from write_probe where id > ${probe!.mark} order by id`
      const events = writes.filter((w) => w.table === 'outbox')
      expect(events.map((w) => w.type)).toEqual([path.type])
      const changes = writes.filter((w) => path.tables.includes(w.table))
      expect([...new Set(changes.map((w) => w.table))].sort()).toEqual([...path.tables].sort())
      // Each change beside the transaction it committed in, so a stray one names itself.
      expect(changes.map((w) => `${w.table} ${w.op} in ${w.xid}`)).toEqual(changes.map((w) => `${w.table} ${w.op} in ${events[0]!.xid}`))
    })
  }
})
