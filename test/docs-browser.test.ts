import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { users } from '../src/modules/users/index.ts'
import type { PlatformServed } from '../src/platform/platform.ts'
import { createTestPlatform, type TestPlatform } from '../src/platform/testing/harness.ts'

/**
 * Debian's chromium, or undefined with a loud note that `what` was skipped. With
 * `REQUIRE_CHROMIUM=1` (CI) a missing chromium is a failure, never a skip.
 */
function testChromium(what: string): string | undefined {
  const path = Bun.which('chromium')
  if (path) return path
  if (process.env.REQUIRE_CHROMIUM === '1') throw new Error(`REQUIRE_CHROMIUM=1 but chromium is not installed (needed by: ${what})`)
  console.warn(`SKIPPED (chromium not installed; apt-get install -y --no-install-recommends chromium): ${what}`)
  return undefined
}

const executablePath = testChromium('/docs in a headless browser')

describe.skipIf(!executablePath)('/docs in a headless browser, cut off from the network', () => {
  let app: TestPlatform
  let served: PlatformServed
  let context: BrowserContext
  let profile: string

  beforeAll(async () => {
    app = await createTestPlatform([users])
    served = app.platform.serve({ port: 0, hostname: '127.0.0.1' })
    profile = mkdtempSync(join(tmpdir(), 'ondes-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // Any name but the loopback address resolves to nothing: no request can leave the machine.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
    await app?.close()
  }, 30_000)

  test('renders every operation from the API’s own origin, asking no other host for anything, within its CSP', async () => {
    const attempted: string[] = []
    const outside: string[] = []
    // Every request the page makes, answered or not; any host but ours is refused and noted.
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url())
      attempted.push(url.href)
      if (url.hostname === '127.0.0.1' && url.port === String(served.port)) return route.continue()
      outside.push(url.href)
      return route.abort('blockedbyclient')
    })
    const page = await context.newPage()
    const violations: string[] = []
    const errors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))
    // Runs in the page (a string: this file is typed without the DOM's names).
    await page.addInitScript({
      content: `window.violations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.effectiveDirective + ' ' + e.blockedURI))`,
    })

    const response = await page.goto(new URL('/docs', served.url).href)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
    for (const summary of ['Sign in with login and password', 'Create an account and sign in', 'Your active sessions']) {
      await page.getByText(summary, { exact: true }).first().waitFor({ state: 'visible', timeout: 20_000 })
    }
    violations.push(...((await page.evaluate('window.violations')) as string[]))

    expect(outside).toEqual([])
    expect(violations).toEqual([])
    expect(errors).toEqual([])
    const paths = attempted.map((href) => new URL(href).pathname)
    expect(paths).toContain('/openapi.json')
    expect(paths.some((path) => /^\/docs\/assets\/[\d.]+\/swagger-ui-bundle\.js$/.test(path))).toBe(true)
    await page.close()
  }, 60_000)
})
