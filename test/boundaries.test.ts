/**
 * The dependency rules (DESIGN §4) are only worth something if they fire: plant forbidden
 * imports in a scratch copy of src/ and watch dependency-cruiser refuse each one.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const scratch = mkdtempSync(resolve(tmpdir(), 'ondes-boundaries-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** `depcruise src scripts` as `bun run lint` runs it. */
async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  const child = Bun.spawn(
    [process.execPath, resolve(root, 'node_modules/.bin/depcruise'), 'src', 'scripts', '--config', '.dependency-cruiser.cjs', '--no-progress'],
    { cwd, stdout: 'pipe', stderr: 'pipe' },
  )
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ])
  return { code, output: `${stdout}${stderr}` }
}

function plant(path: string, source: string): void {
  const file = resolve(scratch, path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, source)
}

describe('dependency-cruiser', () => {
  // A cruise of the whole tree takes seconds, more than the default 5 s on a loaded machine.
  test('the real tree keeps the rules', async () => {
    const { code, output } = await cruise(root)
    expect(output).toContain('no dependency violations found')
    expect(code).toBe(0)
  }, 60_000)

  test('refuses every kind of forbidden import planted in a scratch copy', async () => {
    // test/ too: tests beside the code import its shared helpers (test/build-databases.ts).
    for (const file of ['src', 'scripts', 'test', 'deploy', '.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) {
      cpSync(resolve(root, file), resolve(scratch, file), { recursive: true })
    }
    symlinkSync(resolve(root, 'node_modules'), resolve(scratch, 'node_modules'))

    plant('src/modules/streams/keys.ts', `export const streamKey = (login: string) => \`live_\${login}\`\n`)
    // A module reaching into another one, by value and by type alone.
    plant('src/modules/users/leak.ts', `import { streamKey } from '../streams/keys.ts'\nexport const key = streamKey('x')\n`)
    plant(
      'src/modules/streams/leak.ts',
      `import type { users } from '../users/index.ts'\nimport { streamKey } from './keys.ts'\nexport type Users = typeof users\nexport const k = streamKey\n`,
    )
    // The platform importing a module, and a contract.
    plant('src/platform/leak.ts', `import { users } from '../modules/users/index.ts'\nexport const mounted = [users]\n`)
    plant('src/contracts/planted.ts', `import { z } from 'zod'\nexport const Planted = z.object({ id: z.string() })\n`)
    plant('src/platform/contract-leak.ts', `import { Planted } from '../contracts/planted.ts'\nexport const schema = Planted\n`)
    // A contract importing something other than zod.
    plant(
      'src/contracts/heavy.ts',
      `import { z } from 'zod'\nimport { Problem } from '../platform/http/problem.ts'\nexport const Heavy = z.string()\nexport const P = Problem\n`,
    )
    // A script reaching past a module's face into its inside.
    plant(
      'scripts/planted-grant.ts',
      `import { createRoles } from '../src/modules/users/roles.ts'\nexport const roles = createRoles\n`,
    )
    // A cycle closed by a type-only import.
    plant('src/platform/cycle-a.ts', `import { b } from './cycle-b.ts'\nexport const a = () => b\n`)
    plant('src/platform/cycle-b.ts', `import type { a } from './cycle-a.ts'\nexport const b = 1\nexport type A = typeof a\n`)

    const { code, output } = await cruise(scratch)
    expect(code).not.toBe(0)
    const violations = output.split('\n').filter((line) => /^\s*error /.test(line)).map((line) => line.trim())
    expect(violations).toEqual(
      expect.arrayContaining([
        'error no-cross-module: src/modules/users/leak.ts → src/modules/streams/keys.ts',
        'error no-cross-module: src/modules/streams/leak.ts → src/modules/users/index.ts',
        'error platform-not-to-modules: src/platform/leak.ts → src/modules/users/index.ts',
        'error platform-not-to-modules: src/platform/contract-leak.ts → src/contracts/planted.ts',
        'error contracts-only-zod: src/contracts/heavy.ts → src/platform/http/problem.ts',
        'error scripts-through-module-faces: scripts/planted-grant.ts → src/modules/users/roles.ts',
        expect.stringMatching(/^error no-circular: src\/platform\/cycle-[ab]\.ts →$/),
      ]),
    )
    // Nothing else was flagged: each planted import is caught by the rule meant for it.
    expect(violations).toHaveLength(7)
  }, 60_000)
})
