/**
 * Regenerates each module's migrations from its drizzle schema:
 * `bun run db:generate [module…]`. Custom SQL (triggers) goes in with `--custom`.
 */
import { existsSync } from 'node:fs'
import { MODULE_NAMES } from '../src/platform/config.ts'

const args = process.argv.slice(2)
const custom = args.includes('--custom')
const requested = args.filter((a) => !a.startsWith('--'))
for (const module of requested.length > 0 ? requested : MODULE_NAMES) {
  const schema = `src/modules/${module}/schema.ts`
  if (!existsSync(schema)) continue
  const command = ['bunx', 'drizzle-kit', 'generate', '--dialect=postgresql', `--schema=${schema}`, `--out=migrations/${module}`]
  if (custom) command.push('--custom', `--name=${module}_custom`)
  const proc = Bun.spawnSync(command, { stdout: 'inherit', stderr: 'inherit' })
  if (proc.exitCode !== 0) process.exit(proc.exitCode ?? 1)
}
