import { loadOrCreateSigningKeys } from '../auth/keys.ts'
import { createAccessTokenSigner, type Role } from '../auth/tokens.ts'
import type { TestPlatform } from './harness.ts'

type TokenOptions = {
  /** The `login` claim; `user<id>` by default. */
  login?: string
  /** The `sid` claim; a fresh id by default. */
  sessionId?: string
  /** Needed only when the platform was given `JWT_PUBLIC_KEY`: the private half of that pair. */
  privateKey?: string
}

/**
 * An access token for any user and roles, signed with the test platform's key, so a module's
 * tests need neither the users module nor a login. Without `JWT_PUBLIC_KEY` the test platform
 * verifies with the generated pair of its data directory, which this reads too.
 *
 * @example
 * ```ts
 * const t = await createTestPlatform([streams])
 * const token = await accessTokenFor(t, '42', ['partner'])
 * await t.request('/api/streams/key', { token })
 * ```
 */
export async function accessTokenFor(
  t: TestPlatform,
  userId: string,
  roles: Role[] = [],
  options: TokenOptions = {},
): Promise<string> {
  const { jwt, dataDir } = t.platform.config
  let privateKey = options.privateKey
  if (privateKey === undefined) {
    const generated = await loadOrCreateSigningKeys(dataDir)
    if (generated.publicKey !== jwt.publicKey) {
      throw new Error('accessTokenFor: this test platform verifies with JWT_PUBLIC_KEY; pass its private key as options.privateKey')
    }
    privateKey = generated.privateKey
  }
  const sign = await createAccessTokenSigner(privateKey, { issuer: jwt.issuer, audience: jwt.audience, ttlSeconds: 300 })
  return sign({ userId, login: options.login ?? `user${userId}`, roles, sessionId: options.sessionId ?? crypto.randomUUID() })
}
