import { refuseUnless, type RateLimiter, type RateLimitRule } from '../../platform/rate-limit.ts'

export type LoginAttemptRules = {
  /** Failed logins an account takes per window from addresses it never signed in from, all together. */
  failuresPerAccount: number
  windowSeconds: number
}

/** An admitted attempt: `release` gives its provisional failure back (it signed in, or was never judged). */
export type LoginAttempt = { release: () => Promise<void> }

/**
 * Who may try a password for an account, counted in failures, never in attempts: the owner
 * signing in again and again locks nobody out. Before the hash, `admit` refuses (429) when
 *  - this address failed on this account `failuresPerAccount` times in the window, or
 *  - the account failed that many times in the window from all addresses together, and this
 *    address never signed in to it (no session of the account's was opened from it).
 * So guessing is bounded per account across every address, while the owner, from an address
 * they signed in from before, still gets in during an attack. Each admitted attempt counts as
 * a failure until it is released (it signed in), so concurrent guesses cannot all slip in under the bound.
 * Logins that match no account count alike, so a 429 reveals nothing. The per-address
 * attempt limit is the route's own.
 *
 * @example
 * ```ts
 * const attempts = createLoginAttempts(limiter, accounts.signedInFrom, { failuresPerAccount: 10, windowSeconds: 900 })
 * const attempt = await attempts.admit(login, address) // rate_limited, or a failure counted in advance
 * const account = await accounts.verify(login, password) // login.invalid: the failure stays counted
 * await attempt.release()
 * ```
 */
export function createLoginAttempts(
  limiter: RateLimiter,
  signedInFrom: (login: string, address: string) => Promise<boolean>,
  rules: LoginAttemptRules,
) {
  const failures: RateLimitRule = { name: 'login-failures', limit: rules.failuresPerAccount, windowSeconds: rules.windowSeconds }
  return {
    /** Counts a failure for `login` from `address` in advance, or throws `rate_limited` (counting none). */
    async admit(login: string, address: string): Promise<LoginAttempt> {
      // JSON, so no login (any text up to 64 characters) can pose as another's pair.
      const keys = [login, JSON.stringify([login, address])]
      const [account, pair] = await limiter.consumeEach(failures, keys)
      const release = () => limiter.release(failures, keys)
      // Only an account under attack costs this query; the owner's usual login never does.
      const refusal = !pair!.allowed ? pair! : !account!.allowed && !(await signedInFrom(login, address)) ? account! : undefined
      if (refusal) {
        await release()
        refuseUnless(refusal)
      }
      return { release }
    },
  }
}

export type LoginAttempts = ReturnType<typeof createLoginAttempts>
