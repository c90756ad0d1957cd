import { createHmac } from 'node:crypto'
import { z } from 'zod'
import { loadOrCreateSigningKeys } from '../../platform/auth/keys.ts'
import {
  createAccessTokenSigner,
  MAX_ACCESS_TOKEN_AGE_SECONDS,
  type AccessTokenSigner,
  type AccessTokenVerifier,
} from '../../platform/auth/tokens.ts'
import { ConfigError } from '../../platform/config.ts'
import type { PlatformSettings } from '../../platform/module.ts'

/** A whole number from `min` (to `max`), with that range as the one-line refusal's "expected". */
const wholeNumber = (what: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
  const expected = `${what}, ${min}${max === Number.MAX_SAFE_INTEGER ? ' or more' : ` to ${max}`}`
  return z.coerce.number({ error: expected }).int(expected).min(min, expected).max(max, expected)
}

/** The users module's own environment variables; no other module sees them. */
export const usersSettings = z.object({
  /** Ed25519, PEM PKCS#8; the half of `JWT_PUBLIC_KEY`'s pair. Unset with no public key either: the generated pair. */
  JWT_PRIVATE_KEY: z.string().min(1).optional(),
  /** At most the age every process accepts (`MAX_ACCESS_TOKEN_AGE_SECONDS`, a day). */
  ACCESS_TOKEN_TTL_SECONDS: wholeNumber('seconds', 30, MAX_ACCESS_TOKEN_AGE_SECONDS).default(900),
  /** The idle lifetime: a session not refreshed for this long ends; each refresh renews it. */
  REFRESH_TOKEN_TTL_SECONDS: wholeNumber('seconds', 60).default(7 * 86_400),
  /** The absolute lifetime: no refresh takes a session past this long after sign-in. */
  SESSION_ABSOLUTE_LIFETIME_SECONDS: wholeNumber('seconds', 60).default(30 * 86_400),
  /** A refresh token shown again this soon after its exchange (a retry) gets the same pair; 0 never. */
  REFRESH_RETRY_WINDOW_SECONDS: wholeNumber('seconds', 0, 300).default(30),
  /** Login / registration attempts allowed per address each minute (per account, failures count: below). */
  AUTH_ATTEMPTS_PER_MINUTE: wholeNumber('attempts', 1).default(10),
  /**
   * Failed logins an account takes in 15 minutes from addresses it never signed in from, all
   * together; then only those it signed in from may try (each with as many failures of its own).
   */
  AUTH_FAILURES_PER_ACCOUNT: wholeNumber('failures', 1).default(10),
  /** How often the end of timed suspensions is looked for and announced (users.reinstated.v1, expired). */
  SUSPENSION_ENDS_EVERY_MS: wholeNumber('milliseconds', 10).default(5000),
})
export type UsersSettings = z.infer<typeof usersSettings>

/** The session lifetimes, refused when the idle one is longer than the absolute one (it could never be reached). */
export function sessionLifetimes(settings: UsersSettings): { idleSeconds: number; absoluteSeconds: number } {
  if (settings.REFRESH_TOKEN_TTL_SECONDS > settings.SESSION_ABSOLUTE_LIFETIME_SECONDS) {
    throw new ConfigError(
      `REFRESH_TOKEN_TTL_SECONDS: expected at most SESSION_ABSOLUTE_LIFETIME_SECONDS (${settings.SESSION_ABSOLUTE_LIFETIME_SECONDS}), got "${settings.REFRESH_TOKEN_TTL_SECONDS}"`,
    )
  }
  return { idleSeconds: settings.REFRESH_TOKEN_TTL_SECONDS, absoluteSeconds: settings.SESSION_ABSOLUTE_LIFETIME_SECONDS }
}

/** The private key: configured with its public half, or the embedded default's generated pair. */
async function privateKey(settings: UsersSettings, tokens: PlatformSettings['tokens']): Promise<string> {
  if (settings.JWT_PRIVATE_KEY && tokens.generatedKeysIn !== undefined) {
    throw new ConfigError('JWT_PUBLIC_KEY: expected the public key matching JWT_PRIVATE_KEY (PEM, SPKI)')
  }
  if (settings.JWT_PRIVATE_KEY) return settings.JWT_PRIVATE_KEY
  if (tokens.generatedKeysIn !== undefined) return (await loadOrCreateSigningKeys(tokens.generatedKeysIn)).privateKey
  throw new ConfigError('JWT_PRIVATE_KEY: expected an Ed25519 private key (PEM, PKCS#8); the users module signs access tokens')
}

/**
 * The access-token signer, refused at start-up unless the platform's verifier accepts what it
 * signs (a private key from another pair would only show at the first login), and the key
 * refresh tokens' successors are derived with, from the same secret.
 */
export async function signingKeys(
  settings: UsersSettings,
  tokens: PlatformSettings['tokens'],
  verify: AccessTokenVerifier,
): Promise<{ signAccessToken: AccessTokenSigner; successorKey: Buffer }> {
  const pem = await privateKey(settings, tokens)
  const sign = await createAccessTokenSigner(pem, { ...tokens, ttlSeconds: settings.ACCESS_TOKEN_TTL_SECONDS }).catch(() => {
    throw new ConfigError('JWT_PRIVATE_KEY: expected an Ed25519 private key (PEM, PKCS#8)')
  })
  // A session id no session has: the probe is never refused as revoked.
  const probe = await sign({ userId: '0', login: 'start-up', roles: [], sessionId: 'start-up', rolesVersion: 0 })
  await verify(probe).catch(() => {
    throw new ConfigError('JWT_PRIVATE_KEY: expected the private key matching JWT_PUBLIC_KEY (another pair signs tokens nobody accepts)')
  })
  return { signAccessToken: sign, successorKey: createHmac('sha256', pem).update('ondes refresh-token successor v1').digest() }
}
