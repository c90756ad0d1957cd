import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { OpenAPIHono } from '@hono/zod-openapi'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { z } from 'zod'
import { ConfigError } from '../../platform/config.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { defineModule, type ModuleContext } from '../../platform/module.ts'
import { PROBE_MIGRATIONS } from '../../platform/testing/fixtures/probe-module.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { startApp } from '../../platform/testing/processes.ts'
import { users } from './index.ts'
import { registerAccount } from './test-accounts.ts'

/** A module with variables of its own, remembering what the platform handed it. */
const seen: { context?: ModuleContext<{ PROBE_GREETING: string; PROBE_RETRIES: number }> } = {}
const settingsProbe = defineModule({
  name: 'settings-probe',
  prefixes: [],
  migrations: PROBE_MIGRATIONS,
  settings: z.object({
    PROBE_GREETING: z.string().min(1),
    PROBE_RETRIES: z.coerce.number().int().min(0).default(3),
  }),
  create(context) {
    seen.context = context
    return { routes: new OpenAPIHono<AppEnv>() }
  },
})

const pair = async () => {
  const keys = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return { JWT_PRIVATE_KEY: await exportPKCS8(keys.privateKey), JWT_PUBLIC_KEY: await exportSPKI(keys.publicKey) }
}

/** The message start-up is refused with, through the whole test platform. */
async function refusal(modules: Parameters<typeof createTestPlatform>[0], env: Record<string, string>): Promise<string> {
  const started = await createTestPlatform(modules, env).then(
    async (t) => {
      await t.close()
      return undefined
    },
    (error: unknown) => error,
  )
  expect(started).toBeInstanceOf(ConfigError)
  return (started as ConfigError).message
}

describe('a module receives its own settings, and only them', () => {
  let t: TestPlatform
  let keys: Awaited<ReturnType<typeof pair>>
  beforeAll(async () => {
    keys = await pair()
    t = await createTestPlatform([users, settingsProbe], { ...keys, PROBE_GREETING: 'bonjour', AUTH_ATTEMPTS_PER_MINUTE: '1000' })
  })
  afterAll(() => t.close())

  test('its variables parsed, its defaults applied, nothing of another module', () => {
    const context = seen.context!
    expect(context.settings).toEqual({ PROBE_GREETING: 'bonjour', PROBE_RETRIES: 3 })
    expect(Object.keys(context)).not.toContain('config')
    expect(JSON.stringify({ settings: context.settings, platform: context.platform })).not.toContain('PRIVATE KEY')
    expect(context.platform).toEqual({
      tokens: { issuer: 'ondes', audience: 'ondes', generatedKeysIn: undefined },
      trustProxy: false,
      http: { host: '0.0.0.0', port: 3000 },
      // A test's platform starts no server beside it; `bun start` does (src/main.ts).
      companions: false,
    })
  })

  test('users signs with its JWT_PRIVATE_KEY, and its own default TTL applies', async () => {
    const res = await t.request('/api/auth/register', {
      method: 'POST',
      json: { login: 'keyed_user', email: 'keyed@example.test', password: 'correct horse battery' },
    })
    expect(res.status).toBe(201)
    const { data } = (await res.json()) as { data: { access_token: string; expires_in: number } }
    expect(data.expires_in).toBe(900)
    expect((await t.request('/api/users/me', { token: data.access_token })).status).toBe(200)
  })
})

describe('a bad module variable stops start-up with one line naming it', () => {
  test('a variable of the module', async () => {
    expect(await refusal([users], { ACCESS_TOKEN_TTL_SECONDS: 'soon' })).toBe(
      'ACCESS_TOKEN_TTL_SECONDS: expected seconds, 30 to 86400, got "soon"',
    )
    expect(await refusal([settingsProbe], {})).toStartWith('PROBE_GREETING: expected ')
  })

  test('a private key without its public half, or from another pair', async () => {
    const { JWT_PRIVATE_KEY } = await pair()
    expect(await refusal([users], { JWT_PRIVATE_KEY })).toBe(
      'JWT_PUBLIC_KEY: expected the public key matching JWT_PRIVATE_KEY (PEM, SPKI)',
    )
    expect(await refusal([users], { JWT_PRIVATE_KEY, JWT_PUBLIC_KEY: (await pair()).JWT_PUBLIC_KEY })).toStartWith(
      'JWT_PRIVATE_KEY: expected the private key matching JWT_PUBLIC_KEY',
    )
    expect(await refusal([users], { JWT_PRIVATE_KEY: 'not a key', JWT_PUBLIC_KEY: (await pair()).JWT_PUBLIC_KEY })).toBe(
      'JWT_PRIVATE_KEY: expected an Ed25519 private key (PEM, PKCS#8)',
    )
  })

  test('bun src/main.ts: exit 1, one stderr line, before any database is opened', async () => {
    // A Redis URL nothing is asked of: users alone publishes to consumers elsewhere only over Redis.
    const app = startApp({
      MODULES: 'users',
      USERS_DATABASE_URL: 'postgres://127.0.0.1:1/nowhere',
      REDIS_URL: 'redis://127.0.0.1:1',
      REFRESH_TOKEN_TTL_SECONDS: '5',
    })
    expect(await app.exited).toBe(1)
    const lines = app.stderr.join('\n').trim().split('\n')
    expect(lines).toEqual(['ondes: configuration error: REFRESH_TOKEN_TTL_SECONDS: expected seconds, 60 or more, got "5"'])
  }, 20_000)
})

test('a module with a default for everything needs nothing configured', async () => {
  const t = await createTestPlatform([users], {})
  try {
    // The embedded default's generated pair: users signs with it, the platform verifies.
    const account = await registerAccount(t, 'generated_key')
    expect((await t.request('/api/users/me', { token: account.accessToken })).status).toBe(200)
  } finally {
    await t.close()
  }
})
