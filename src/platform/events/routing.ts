import { ConfigError, type Config } from '../config.ts'
import type { ModuleDefinition } from '../module.ts'

/**
 * Refuses a process without Redis whose modules exchange events with modules it does not run:
 * in-process delivery would never reach them. `definitions` are all the modules the build
 * knows, enabled or not.
 */
export function checkEventRoutes(config: Config, definitions: ModuleDefinition[]): void {
  if (config.redisUrl) return
  const here = (name: string) => (config.modules as string[]).includes(name)
  const refuse = (consumer: string, type: string, producer: string) => {
    const elsewhere = here(consumer) ? producer : consumer
    throw new ConfigError(
      `REDIS_URL: expected a redis:// URL, because ${consumer} consumes ${type} from ${producer} and ${elsewhere} does not run in this process (MODULES=${config.modules.join(',')})`,
    )
  }
  const producerOf = new Map<string, string>()
  for (const definition of definitions) {
    for (const type of Object.keys(definition.produces ?? {})) producerOf.set(type, definition.name)
  }
  for (const definition of definitions) {
    for (const type of Object.keys(definition.consumes ?? {})) {
      const producer = producerOf.get(type) ?? 'a module this build does not have'
      if (here(definition.name) !== here(producer)) refuse(definition.name, type, producer)
    }
  }
}
