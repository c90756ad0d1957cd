import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { createAccessTokenSigner, createAccessTokenVerifier } from './tokens.ts'
import { loadOrCreateSigningKeys } from './keys.ts'

const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-keys-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

test('the embedded default generates an Ed25519 pair once, then reads the same pair back', async () => {
  const [first, concurrent] = await Promise.all([loadOrCreateSigningKeys(dataDir), loadOrCreateSigningKeys(dataDir)])
  expect(concurrent).toEqual(first)
  expect(await loadOrCreateSigningKeys(dataDir)).toEqual(first)
  expect(first.privateKey).toStartWith('-----BEGIN PRIVATE KEY-----')
  expect(statSync(resolve(dataDir, 'keys/jwt-ed25519.pem')).mode & 0o077).toBe(0)

  const settings = { issuer: 'ondes', audience: 'ondes' }
  const sign = await createAccessTokenSigner(first.privateKey, { ...settings, ttlSeconds: 60 })
  const verify = await createAccessTokenVerifier(first.publicKey, settings)
  const claims = { userId: '1', login: 'a', roles: [], sessionId: 's' }
  expect(await verify(await sign(claims))).toEqual(claims)
})

test('only the keys directory is private, not the data directory it creates', async () => {
  const fresh = resolve(dataDir, 'fresh/data')
  await loadOrCreateSigningKeys(fresh)
  const reference = resolve(dataDir, 'reference')
  mkdirSync(reference)
  // The embedded Postgres (another user, when we run as root) must be able to reach its directory beside the keys.
  expect(statSync(resolve(dataDir, 'fresh')).mode & 0o777).toBe(statSync(reference).mode & 0o777)
  expect(statSync(fresh).mode & 0o777).toBe(statSync(reference).mode & 0o777)
  expect(statSync(resolve(fresh, 'keys')).mode & 0o777).toBe(0o700)
})
