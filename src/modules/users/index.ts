import { resolve } from 'node:path'
import { usersEvents } from '../../contracts/users.ts'
import { createAccessTokenSigner } from '../../platform/auth/tokens.ts'
import { ConfigError } from '../../platform/config.ts'
import type { ModuleDefinition } from '../../platform/module.ts'
import { createRouter } from '../../platform/http/router.ts'
import { createAccounts } from './accounts.ts'
import { authRoutes } from './auth.routes.ts'
import { createFollows } from './follows.ts'
import { followRoutes } from './follows.routes.ts'
import { createProfiles } from './profiles.ts'
import { profileRoutes } from './profiles.routes.ts'
import { createRoles } from './roles.ts'
import { roleRoutes } from './roles.routes.ts'
import { createSessions } from './sessions.ts'
import { createSettingsStore } from './settings.ts'
import { settingsRoutes } from './settings.routes.ts'
import { usersSnapshot } from './snapshot.ts'

/** Accounts, sessions, profiles, follows, global roles and settings. The only holder of the signing key. */
export const users: ModuleDefinition = {
  name: 'users',
  prefixes: ['/api/auth', '/api/users'],
  migrations: resolve(import.meta.dir, '../../../migrations/users'),
  produces: usersEvents,
  snapshot: usersSnapshot,
  async create({ config, database, rateLimiter, authenticated }) {
    const { jwt } = config
    if (!jwt.privateKey) {
      throw new ConfigError('JWT_PRIVATE_KEY: expected an Ed25519 private key (PEM, PKCS#8); the users module signs access tokens')
    }
    // drizzle for most statements; the raw pool for the hot ones (profile by id, login).
    const { db, sql } = database
    const profiles = createProfiles(db, sql)
    const routes = createRouter()
      .route(
        '/',
        authRoutes(createAccounts(db, sql), createSessions(db, sql, jwt.refreshTtlSeconds), rateLimiter, authenticated, {
          signAccessToken: await createAccessTokenSigner(jwt.privateKey, { ...jwt, ttlSeconds: jwt.accessTtlSeconds }),
          accessTtlSeconds: jwt.accessTtlSeconds,
          trustProxy: config.trustProxy,
          attemptsPerMinute: config.authAttemptsPerMinute,
        }),
      )
      .route('/', settingsRoutes(createSettingsStore(db), authenticated))
      .route('/', profileRoutes(profiles, authenticated))
      .route('/', followRoutes(createFollows(db), profiles, authenticated))
      .route('/', roleRoutes(createRoles(db), authenticated))
    return { routes }
  },
}
