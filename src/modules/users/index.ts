import { resolve } from 'node:path'
import { usersEvents } from '../../contracts/users.ts'
import { defineModule } from '../../platform/module.ts'
import { createRouter } from '../../platform/http/router.ts'
import { createAccounts } from './accounts.ts'
import { sessionLifetimes, signingKeys, usersSettings } from './environment.ts'
import { authRoutes } from './auth.routes.ts'
import { USERS_PROBLEMS } from './errors.ts'
import { createFollows } from './follows.ts'
import { followRoutes } from './follows.routes.ts'
import { createProfiles } from './profiles.ts'
import { profileRoutes } from './profiles.routes.ts'
import { createTokenRevocations } from './revocations.ts'
import { createRoles } from './roles.ts'
import { roleRoutes } from './roles.routes.ts'
import { createSessions } from './sessions.ts'
import { createSettingsStore } from './settings.ts'
import { settingsRoutes } from './settings.routes.ts'
import { usersSnapshot } from './snapshot.ts'
import { createSuspensions, endSuspensionsDue } from './suspensions.ts'
import { suspensionRoutes } from './suspensions.routes.ts'

export { grantAdmin } from './admin.ts'

/** How soon a revocation Redis did not take (an outage) is announced again, once Redis is back. */
const REVOCATIONS_REPAIR_MS = 5000

/** Accounts, sessions, profiles, follows, global roles, suspensions and settings. The only holder of the signing key. */
export const users = defineModule({
  name: 'users',
  prefixes: ['/api/auth', '/api/users'],
  migrations: resolve(import.meta.dir, '../../../migrations/users'),
  produces: usersEvents,
  snapshot: usersSnapshot,
  problems: USERS_PROBLEMS,
  settings: usersSettings,
  async create({ settings, platform, database, log, rateLimiter, authenticated, verifyAccessToken, revocations, clock }) {
    const { signAccessToken, successorKey } = await signingKeys(settings, platform.tokens, verifyAccessToken)
    // drizzle for most statements; the raw pool for the hot ones (profile by id, login).
    const { db, sql } = database
    const profiles = createProfiles(database)
    const tokenRevocations = createTokenRevocations(revocations, sql, settings.ACCESS_TOKEN_TTL_SECONDS)
    const sessions = createSessions(database, tokenRevocations, {
      ...sessionLifetimes(settings),
      retryWindowSeconds: settings.REFRESH_RETRY_WINDOW_SECONDS,
      successorKey,
    }, clock)
    const suspensions = createSuspensions(database, tokenRevocations, clock)
    const routes = createRouter()
      .route(
        '/',
        authRoutes(createAccounts(database, clock), sessions, rateLimiter, authenticated, {
          signAccessToken,
          accessTtlSeconds: settings.ACCESS_TOKEN_TTL_SECONDS,
          trustProxy: platform.trustProxy,
          attemptsPerMinute: settings.AUTH_ATTEMPTS_PER_MINUTE,
          failuresPerAccount: settings.AUTH_FAILURES_PER_ACCOUNT,
        }),
      )
      .route('/', settingsRoutes(createSettingsStore(db), authenticated))
      .route('/', profileRoutes(profiles, authenticated))
      .route('/', followRoutes(createFollows(database), profiles, authenticated))
      .route('/', roleRoutes(createRoles(database, clock, tokenRevocations), authenticated))
      .route('/', suspensionRoutes(suspensions, authenticated))
    // Before serving: without Redis this process's revocations list starts empty after a restart.
    const start = async () => log.info({ count: await tokenRevocations.reannounce() }, 'revocations still in force announced')
    const jobs = [
      // On every replica: each owes only what it failed to announce itself.
      { name: 'revocations-repair', everyMs: REVOCATIONS_REPAIR_MS, run: () => tokenRevocations.repair() },
      { name: 'suspension-ends', everyMs: settings.SUSPENSION_ENDS_EVERY_MS, singleton: true, run: endSuspensionsDue(database, clock) },
    ]
    return { routes, start, jobs }
  },
})
