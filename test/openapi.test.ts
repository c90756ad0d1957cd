import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { createRoute } from '@hono/zod-openapi'
import { modules } from '../src/modules.ts'
import { createRouter } from '../src/platform/http/router.ts'
import type { ModuleDefinition } from '../src/platform/module.ts'
import { PROBE_MIGRATIONS } from '../src/platform/testing/fixtures/probe-module.ts'
import { createTestPlatform } from '../src/platform/testing/harness.ts'

const ROOT = resolve(import.meta.dir, '..')
const scratch = mkdtempSync(resolve(tmpdir(), 'ondes-openapi-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

type Lint = { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] }

/** `/openapi.json` of a platform serving `served`, linted by the pinned Redocly CLI with the repository's redocly.yaml. */
async function lintDocument(served: ModuleDefinition[]): Promise<Lint> {
  const t = await createTestPlatform(served)
  const path = resolve(scratch, `${crypto.randomUUID()}.json`)
  try {
    const res = await t.request('/openapi.json')
    expect(res.status).toBe(200)
    writeFileSync(path, await res.text())
  } finally {
    await t.close()
  }
  const lint = Bun.spawn(
    [resolve(ROOT, 'node_modules/.bin/redocly'), 'lint', '--config', resolve(ROOT, 'redocly.yaml'), '--format=json', path],
    { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
  )
  const [out, err] = await Promise.all([new Response(lint.stdout).text(), new Response(lint.stderr).text(), lint.exited])
  try {
    return JSON.parse(out) as Lint
  } catch {
    throw new Error(`redocly lint printed no report: ${err}`)
  }
}

const summary = (lint: Lint) => lint.problems.map((p) => `${p.ruleId}: ${p.message}`)

// A module written without the route helper: no operationId, no security stated.
const planted: ModuleDefinition = {
  name: 'openapi-plant',
  prefixes: ['/api/planted'],
  migrations: PROBE_MIGRATIONS,
  create: () => {
    const routes = createRouter()
    routes.openapi(
      createRoute({ method: 'get', path: '/api/planted', responses: { 200: { description: 'Planted' } } }),
      (c) => c.body(null, 200),
    )
    return { routes }
  },
}

describe('the OpenAPI document, as client generators read it', () => {
  test("every module's routes pass Redocly's recommended rules with no error and no warning", async () => {
    const lint = await lintDocument(modules)
    expect(summary(lint)).toEqual([])
    expect(lint.totals).toMatchObject({ errors: 0, warnings: 0 })
  }, 60_000)

  test('a route declared without the helper fails the lint', async () => {
    const lint = await lintDocument([...modules, planted])
    const rules = lint.problems.map((p) => p.ruleId)
    expect(rules).toContain('operation-operationId')
    expect(rules).toContain('security-defined')
    expect(lint.totals.errors + lint.totals.warnings).toBeGreaterThan(0)
  }, 60_000)
})
