import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { ensureDatabase, withDatabase } from '../db/database.ts'
import { applyMigrations, PLATFORM_MIGRATIONS } from '../db/migrate.ts'

/** Set by the test preload: superuser URL of the server tests create their databases on. */
export const TEST_ADMIN_URL_VARIABLE = 'ONDES_TEST_ADMIN_URL'

export function testAdminUrl(): string {
  const url = process.env[TEST_ADMIN_URL_VARIABLE]
  if (!url) throw new Error(`${TEST_ADMIN_URL_VARIABLE} is not set: run tests with \`bun test\` (bunfig.toml preloads test/preload.ts)`)
  return url
}

/** A module name as a fragment of a database name: `probe-producer` → `probe_producer`, short enough for 63 bytes. */
const identifier = (module: string) => module.replaceAll(/[^a-z0-9_]/g, '_').slice(0, 24)

/** Template name for a migrations folder, keyed by its content so a changed migration builds a new template. */
export function templateName(module: string, folder: string): string {
  const hash = createHash('sha256')
  // The platform's migrations run in every module database first, so they key the template too.
  for (const [root, tag] of [[PLATFORM_MIGRATIONS, 'platform:'], [folder, '']] as const) {
    for (const file of readdirSync(root, { recursive: true }).map(String).sort()) {
      const path = resolve(root, file)
      if (file.endsWith('.sql') || file.endsWith('.json')) hash.update(tag + file).update(readFileSync(path))
    }
  }
  return `ondes_tpl_${identifier(module)}_${hash.digest('hex').slice(0, 12)}`
}

/** Creates (once per migrations content) a migrated template database for `module`. */
export async function ensureTemplate(adminUrl: string, module: string, folder: string): Promise<string> {
  const name = templateName(module, folder)
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    // Test processes running side by side build each template once.
    await admin.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${name}))`
      const [exists] = await tx`select 1 from pg_database where datname = ${name}`
      if (exists) return
      await ensureDatabase(adminUrl, `${name}_build`)
      await applyMigrations(module, withDatabase(adminUrl, `${name}_build`), folder)
      await tx.unsafe(`alter database "${name}_build" rename to "${name}"`)
    })
  } finally {
    await admin.end()
  }
  return name
}

/** A fresh database cloned from the module's template; `drop` removes it. */
export async function createDatabaseFromTemplate(
  module: string,
  folder: string,
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const adminUrl = testAdminUrl()
  const template = await ensureTemplate(adminUrl, module, folder)
  const name = `test_${identifier(module)}_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(`create database "${name}" template "${template}"`)
        break
      } catch (error) {
        // 55006: the template is briefly in use by another process cloning it.
        if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error
        await Bun.sleep(100)
      }
    }
  } finally {
    await admin.end()
  }
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop: async () => {
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} })
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`)
      } finally {
        await dropper.end()
      }
    },
  }
}
