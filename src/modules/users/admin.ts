import { systemClock } from '../../platform/clock.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { createRoles } from './roles.ts'

/**
 * Makes `login` an admin: what `bun run admin:grant` does, offered on the module's face so the
 * script needs nothing from its inside. The user's id, or undefined when no user has that login.
 *
 * @example
 * const id = await grantAdmin(database, 'alice')
 */
export async function grantAdmin(database: ModuleDatabase, login: string): Promise<string | undefined> {
  const roles = createRoles(database, systemClock)
  const id = await roles.idOfLogin(login.toLowerCase())
  if (id === undefined || !(await roles.grant(id, 'admin', null))) return undefined
  return String(id)
}
