import { parseEnvironment, type Config } from './config.ts'
import type { ModuleDefinition } from './module.ts'

/**
 * Each enabled module's own settings, parsed from the environment before anything opens: the
 * first bad variable stops start-up in one line, as `loadConfig`'s do. A module without a
 * `settings` schema gets none.
 */
export function parseModuleSettings(config: Config, definitions: ModuleDefinition[]): Map<string, Record<string, unknown>> {
  return new Map(
    definitions
      .filter((definition) => config.modules.includes(definition.name))
      .map((definition) => [definition.name, definition.settings ? parseEnvironment(definition.settings, config.env) : {}]),
  )
}
