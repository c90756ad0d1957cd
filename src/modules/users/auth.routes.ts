import { z } from '@hono/zod-openapi'
import { isIP } from 'node:net'
import type { Context, MiddlewareHandler } from 'hono'
import type { AccessTokenSigner } from '../../platform/auth/tokens.ts'
import { DomainError } from '../../platform/errors.ts'
import { clientAddress, rateLimitKey } from '../../platform/http/client-address.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText, withSafeText } from '../../platform/http/text.ts'
import { rateLimit, type RateLimiter, type RateLimitRule } from '../../platform/rate-limit.ts'
import type { Account, Accounts } from './accounts.ts'
import { usersError } from './errors.ts'
import { createLoginAttempts } from './login-attempts.ts'
import { DisplayName, displayNameMismatch, Login } from './names.ts'
import { passwordWeakness } from './passwords.ts'
import type { Session, Sessions } from './sessions.ts'

// Length, no composition rules (NIST SP 800-63B); 128 bounds the hashing cost. The blocklist
// and the account's own names are checked with the registration (`passwordWeakness`).
const Password = z.string().min(8, 'at least 8 characters').max(128, 'at most 128 characters')

// The largest credentials body is under 2 KiB, even with every character escaped.
const AUTH_BODY_LIMIT = 4 * 1024

const RegisterBody = z
  .strictObject({
    login: Login,
    email: withSafeText(z.email().max(254)),
    password: Password,
    display_name: DisplayName.optional(),
  })
  .superRefine((body, ctx) => {
    const mismatch = body.display_name === undefined ? undefined : displayNameMismatch(body.display_name, body.login)
    if (mismatch) ctx.addIssue({ code: 'custom', path: ['display_name'], message: mismatch })
    const weakness = passwordWeakness(body.password, body)
    if (weakness) ctx.addIssue({ code: 'custom', path: ['password'], message: weakness })
  })
  .openapi('Registration')

const LoginBody = z.strictObject({ login: safeText({ min: 1, max: 64 }), password: z.string().min(1).max(128) }).openapi('Credentials')
const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(256) }).openapi('RefreshRequest')

const TokenPair = z
  .object({
    data: z.object({
      access_token: z.string(),
      refresh_token: z.string(),
      expires_in: z.number().int().openapi({ description: 'Access token lifetime in seconds' }),
      token_type: z.literal('bearer'),
      user_id: z.string(),
      login: z.string(),
    }),
  })
  .openapi('TokenPair')

const SessionView = z
  .object({
    id: z.string(),
    created_at: z.string(),
    last_used_at: z.string(),
    expires_at: z.string(),
    user_agent: z.string(),
    ip: z.string().nullable(),
    current: z.boolean(),
  })
  .openapi('Session')

const toSessionView = (session: Session, currentId: string): z.infer<typeof SessionView> => ({
  id: session.id,
  created_at: session.createdAt.toISOString(),
  last_used_at: session.lastUsedAt.toISOString(),
  expires_at: session.expiresAt.toISOString(),
  user_agent: session.userAgent,
  ip: session.ip,
  current: session.id === currentId,
})

const json = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } })

export type AuthSettings = {
  signAccessToken: AccessTokenSigner
  accessTtlSeconds: number
  trustProxy: boolean
  /** Login and registration attempts per address per minute, before hashing runs. */
  attemptsPerMinute: number
  /** Failed logins per account per 15 minutes from addresses it never signed in from (`createLoginAttempts`). */
  failuresPerAccount: number
}

export function authRoutes(
  accounts: Accounts,
  sessions: Sessions,
  limiter: RateLimiter,
  authenticated: MiddlewareHandler<AppEnv>,
  settings: AuthSettings,
) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const address = (c: Context<AppEnv>) => clientAddress(c, settings.trustProxy)
  // Limits by the IPv6 /64, so rotating addresses within one takes no fresh window.
  const limited = (c: Context<AppEnv>) => rateLimitKey(address(c))
  const perAddress = (name: string): RateLimitRule => ({ name, limit: settings.attemptsPerMinute, windowSeconds: 60 })
  const attempts = createLoginAttempts(limiter, accounts.signedInFrom, {
    failuresPerAccount: settings.failuresPerAccount,
    windowSeconds: 15 * 60,
  })

  /** `issuedAt` (epoch seconds) re-signs a pair already handed out: the same claims and times, the same token. */
  const issue = async (c: Context<AppEnv>, account: Account, session: { sessionId: string; refreshToken: string }, issuedAt?: number) => ({
    data: {
      access_token: await settings.signAccessToken(
        { userId: account.id, login: account.login, roles: account.roles, sessionId: session.sessionId, rolesVersion: account.rolesVersion },
        issuedAt,
      ),
      refresh_token: session.refreshToken,
      expires_in: settings.accessTtlSeconds,
      token_type: 'bearer' as const,
      user_id: account.id,
      login: account.login,
    },
  })
  const origin = (c: Context<AppEnv>) => {
    const ip = address(c)
    // A forwarded "address" that is none (a proxy's garbage) is no address to keep.
    return { userAgent: c.req.header('user-agent') ?? '', ip: isIP(ip) === 0 ? null : ip }
  }

  router.openapi(
    route({
      auth: 'none',
      operationId: 'register',
      method: 'post',
      path: '/api/auth/register',
      tags: ['auth'],
      summary: 'Create an account and sign in',
      bodyLimit: AUTH_BODY_LIMIT,
      middleware: [rateLimit(limiter, perAddress('register'), limited)] as const,
      request: { body: json(RegisterBody) },
      responses: {
        201: { description: 'Registered and signed in', content: { 'application/json': { schema: TokenPair } } },
        ...problemResponses(400, 409, 429),
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const account = await accounts.register({
        login: body.login.toLowerCase(),
        email: body.email.toLowerCase(),
        password: body.password,
        displayName: body.display_name ?? body.login,
      })
      return c.json(await issue(c, account, await sessions.open(account.id, origin(c))), 201)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'login',
      method: 'post',
      path: '/api/auth/login',
      tags: ['auth'],
      summary: 'Sign in with login and password',
      bodyLimit: AUTH_BODY_LIMIT,
      middleware: [rateLimit(limiter, perAddress('login'), limited)] as const,
      request: { body: json(LoginBody) },
      responses: {
        200: { description: 'Signed in', content: { 'application/json': { schema: TokenPair } } },
        ...problemResponses(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const { password } = c.req.valid('json')
      const login = c.req.valid('json').login.toLowerCase()
      // Per account too, in failures, so one login cannot be guessed at from many addresses; before hashing.
      const attempt = await attempts.admit(login, address(c))
      const account = await accounts.verify(login, password).catch(async (error: unknown) => {
        // A wrong password stays counted; anything else (the database down) was no guess.
        if (!(error instanceof DomainError && error.code === 'login.invalid')) await attempt.release()
        throw error
      })
      const [session] = await Promise.all([sessions.open(account.id, origin(c)), attempt.release()])
      return c.json(await issue(c, account, session), 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'refreshTokens',
      method: 'post',
      path: '/api/auth/refresh',
      tags: ['auth'],
      summary: 'Exchange a refresh token for a new pair (the old one stops working; a retry within seconds gets the same pair)',
      middleware: [rateLimit(limiter, { ...perAddress('refresh'), limit: settings.attemptsPerMinute * 6 }, limited)] as const,
      request: { body: json(RefreshBody) },
      responses: {
        200: { description: 'New tokens', content: { 'application/json': { schema: TokenPair } } },
        ...problemResponses(400, 401, 429),
      },
    }),
    async (c) => {
      const rotated = await sessions.rotate(c.req.valid('json').refresh_token)
      const { claims } = rotated
      const account = { id: rotated.userId, login: claims.login, roles: claims.roles, rolesVersion: claims.rolesVersion }
      return c.json(await issue(c, account, rotated, claims.issuedAt), 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'logout',
      method: 'post',
      path: '/api/auth/logout',
      tags: ['auth'],
      summary: 'End the current session',
      responses: { 204: { description: 'Signed out' } },
    }),
    async (c) => {
      await sessions.revoke(c.var.auth.userId, c.var.auth.sessionId)
      return c.body(null, 204)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'listSessions',
      method: 'get',
      path: '/api/auth/sessions',
      tags: ['auth'],
      summary: 'Your active sessions',
      responses: {
        200: { description: 'Sessions, newest first', content: { 'application/json': { schema: z.object({ data: z.array(SessionView) }) } } },
      },
    }),
    async (c) => {
      const list = await sessions.listActive(c.var.auth.userId)
      return c.json({ data: list.map((s) => toSessionView(s, c.var.auth.sessionId)) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'revokeSession',
      method: 'delete',
      path: '/api/auth/sessions/{id}',
      tags: ['auth'],
      summary: 'Revoke one of your sessions',
      request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 204: { description: 'Revoked' }, ...problemResponses(400, 404) },
    }),
    async (c) => {
      const revoked = await sessions.revoke(c.var.auth.userId, c.req.valid('param').id)
      if (!revoked) throw usersError('session.not_found', 'No active session of yours with this id')
      return c.body(null, 204)
    },
  )

  return router
}
