/**
 * A fresh database for every module of the build, as `bun start` runs them: a process that
 * serves users must serve its consumers beside it (or reach them over Redis), so the tests that
 * start the whole app give it every module.
 *
 * @example
 * const build = await buildDatabases()
 * cleanups.push(build.drop)
 * startApp({ ...build.env, PORT: String(freePort()) })
 */
import { modules } from '../src/modules.ts'
import { databaseUrlVariable } from '../src/platform/config.ts'
import { createDatabaseFromTemplate } from '../src/platform/testing/databases.ts'

export type BuildDatabases = {
  /** `MODULES` and every module's `*_DATABASE_URL`. */
  env: Record<string, string>
  /** The URL of each module's database, by module name. */
  urls: Record<string, string>
  drop: () => Promise<void>
}

/** `except`: modules whose database the caller brings (the bench seeds its own users database). */
export async function buildDatabases(options: { except?: string[] } = {}): Promise<BuildDatabases> {
  const made = modules.filter((m) => !options.except?.includes(m.name))
  const databases = await Promise.all(made.map((m) => createDatabaseFromTemplate(m.name, m.migrations)))
  const urls = Object.fromEntries(made.map((m, i) => [m.name, databases[i]!.url]))
  const env: Record<string, string> = { MODULES: modules.map((m) => m.name).join(',') }
  for (const m of made) env[databaseUrlVariable(m.name)] = urls[m.name]!
  return { env, urls, drop: async () => void (await Promise.all(databases.map((d) => d.drop()))) }
}
