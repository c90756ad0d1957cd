import { createModuleDatabase, type ModuleDatabase } from '../db/database.ts'
import { createMetrics } from '../metrics.ts'
import type { ModuleDefinition } from '../module.ts'
import { createDatabaseFromTemplate } from './databases.ts'

/**
 * A fresh database for a module, cloned from its migrated template, with the pool the platform
 * would open on it; `close` ends the pool and drops the database.
 */
export async function openModuleDatabase(
  definition: Pick<ModuleDefinition, 'name' | 'migrations'>,
  poolMax = 2,
): Promise<{ database: ModuleDatabase; close: () => Promise<void> }> {
  const created = await createDatabaseFromTemplate(definition.name, definition.migrations)
  const database = createModuleDatabase({
    module: definition.name,
    url: created.url,
    poolMax,
    queryDuration: createMetrics().queryDuration,
  })
  return {
    database,
    close: async () => {
      await database.close()
      await created.drop()
    },
  }
}
