import { resolve } from 'node:path'
import type { ModuleDefinition } from '../../platform/module.ts'
import { createProfiles } from './profiles.ts'
import { profileRoutes } from './profiles.routes.ts'

export const users: ModuleDefinition = {
  name: 'users',
  prefixes: ['/api/auth', '/api/users'],
  migrations: resolve(import.meta.dir, '../../../migrations/users'),
  create(context) {
    const profiles = createProfiles(context.database.db)
    const routes = profileRoutes(profiles, context.authenticated)
    return { routes }
  },
}
