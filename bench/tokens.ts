/**
 * Access tokens for the benches' seeded users, signed with the key the app generated in its
 * data directory (as the users module would sign them after a login), so a figure needs no
 * login per user.
 */
import { loadOrCreateSigningKeys } from '../src/platform/auth/keys.ts'
import { createAccessTokenSigner } from '../src/platform/auth/tokens.ts'
import { loadConfig } from '../src/platform/config.ts'

export type BenchTokens = (userId: string) => Promise<string>

/** A signer of one-hour tokens (long enough for any figure) for the app serving from `dataDir`. */
export async function benchTokens(dataDir: string): Promise<BenchTokens> {
  const { jwt } = loadConfig({ DATA_DIR: dataDir })
  const { privateKey } = await loadOrCreateSigningKeys(dataDir)
  const sign = await createAccessTokenSigner(privateKey, { issuer: jwt.issuer, audience: jwt.audience, ttlSeconds: 3600 })
  return (userId) => sign({ userId, login: `user${userId}`, roles: [], sessionId: crypto.randomUUID() })
}
