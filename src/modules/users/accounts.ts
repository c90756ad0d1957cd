import type { Role } from '../../platform/auth/tokens.ts'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { hasPgCode, PG } from '../../platform/db/errors.ts'
import { isIP } from 'node:net'
import { usersError } from './errors.ts'
import { normalizePassword } from './passwords.ts'
import { publish } from './publish.ts'
import { suspendedError, suspensionInForce } from './suspensions.ts'
import { type UserId, userSettings, users } from './schema.ts'

// argon2id at Bun's defaults (64 MiB, t=2): OWASP's floor, native and off the event loop.
const HASH = { algorithm: 'argon2id' } as const

/** `rolesVersion`: `users.roles_version` read with the roles, signed into access tokens (`rv`). */
export type Account = { id: UserId; login: string; roles: Role[]; rolesVersion: number }

export type Registration = { login: string; email: string; password: string; displayName: string }

/** An address, or a network in CIDR form (`2001:db8:1:2::/64`): what Postgres takes as `inet`. */
function isInet(value: string): boolean {
  const [host = '', bits, ...rest] = value.split('/')
  const version = isIP(host)
  if (version === 0 || rest.length > 0) return false
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128))
}

type Credentials = {
  id: string
  login: string
  password_hash: string
  suspended_at: Date | null
  suspension_ends_at: Date | null
  suspension_reason: string | null
}

/** Registration and credential checks: the only code that sees passwords. `clock` tells a suspension's end. */
export function createAccounts(database: ModuleDatabase, clock: Clock = systemClock) {
  const { db, sql: client } = database
  // Roles come in the same round trip, in prepared statements sent by postgres.js itself: login
  // is argon2-bound, and every statement or µs of CPU it adds competes with the hash for the cores.
  // A fragment, not a query: postgres.js runs a query only when it is awaited.
  const roles = client`array(select role from user_roles where user_id = users.id order by 1)`
  const credentialsByLogin = async (login: string) => {
    const [found] = await client<(Credentials & { roles: Role[]; roles_version: number })[]>`
      select id, login, password_hash, ${roles} as roles, roles_version, suspended_at, suspension_ends_at, suspension_reason
      from users where login = ${login}`
    return found
  }

  // A login that matches no account still costs one verify, so timing does not reveal it.
  let decoy: Promise<string> | undefined
  const decoyHash = () => (decoy ??= Bun.password.hash(crypto.randomUUID(), HASH))

  return {
    async register(registration: Registration): Promise<Account> {
      const passwordHash = await Bun.password.hash(normalizePassword(registration.password), HASH)
      try {
        const id = await database.transaction(async (tx) => {
          const [user] = await tx
            .insert(users)
            .values({
              login: registration.login,
              displayName: registration.displayName,
              email: registration.email,
              passwordHash,
            })
            .returning({ id: users.id, createdAt: users.createdAt })
          if (!user) throw new Error('user insert returned nothing')
          await tx.insert(userSettings).values({ userId: user.id })
          await publish(tx, 'users.registered.v1', {
            user_id: String(user.id),
            login: registration.login,
            display_name: registration.displayName,
            created_at: user.createdAt.toISOString(),
            version: 1,
          })
          return String(user.id)
        })
        // A new row's roles version is the column's default.
        return { id, login: registration.login, roles: [], rolesVersion: 1 }
      } catch (error) {
        if (hasPgCode(error, PG.uniqueViolation)) {
          throw usersError('login.taken', 'This login is taken', { errors: [{ field: 'login', message: 'already taken' }] })
        }
        throw error
      }
    },

    /**
     * The account for a login and password; `login.invalid` for either mistake, alike, then
     * `account.suspended` while a suspension is in force. The
     * password is compared in NFC, then as typed when that differs: hashes made before
     * normalisation were made from the raw text, and the second verify costs only those.
     */
    async verify(login: string, password: string): Promise<Account> {
      const found = await credentialsByLogin(login)
      const hash = found?.password_hash ?? (await decoyHash())
      const normalized = normalizePassword(password)
      const valid =
        (await Bun.password.verify(normalized, hash)) || (normalized !== password && (await Bun.password.verify(password, hash)))
      if (!found || !valid) throw usersError('login.invalid', 'Invalid login or password')
      // Only to the password's holder: a stranger learns no more of a suspended account than of any.
      if (suspensionInForce(found.suspended_at, found.suspension_ends_at, clock())) {
        throw suspendedError(found.suspension_reason ?? '', found.suspension_ends_at)
      }
      return { id: found.id, login: found.login, roles: found.roles, rolesVersion: found.roles_version }
    },

    /**
     * Whether the account of `login` ever opened a session (signed in or registered) from
     * `address`, or from inside it when it is a network (`2001:db8:1:2::/64`, as rate limits key IPv6).
     */
    async signedInFrom(login: string, address: string): Promise<boolean> {
      if (!isInet(address)) return false
      const [row] = await client<{ known: boolean }[]>`
        select exists (
          select 1 from sessions join users on users.id = sessions.user_id
          where users.login = ${login} and sessions.ip <<= ${address}::inet
        ) as known`
      return row?.known ?? false
    },
  }
}

export type Accounts = ReturnType<typeof createAccounts>
