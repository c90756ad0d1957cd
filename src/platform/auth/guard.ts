import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/env.ts'
import { Problem } from '../http/problem.ts'
import type { AccessTokenVerifier, Role } from './tokens.ts'

// The scheme name is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+)$/i

/**
 * Verifies the bearer access token locally and exposes its claims as `c.var.auth`. A missing
 * token is this HTTP layer's `token.missing`; the verifier's `token.expired` / `token.invalid` /
 * `token.revoked` are domain errors, the same for chat's PASS as for a route.
 */
export const requireAuth = (verify: AccessTokenVerifier) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const match = BEARER.exec(c.req.header('authorization') ?? '')
    if (!match?.[1]) {
      throw new Problem(401, 'An access token is required (Authorization: Bearer <token>)', {
        code: 'token.missing',
        headers: { 'www-authenticate': 'Bearer' },
      })
    }
    c.set('auth', await verify(match[1]))
    await next()
  })

/** After `requireAuth`: lets through bearers holding at least one of `roles`. */
export const requireRole = (...roles: Role[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.var.auth.roles.some((role) => roles.includes(role))) {
      throw new Problem(403, `This action needs the ${roles.join(' or ')} role`, { code: 'role.required' })
    }
    await next()
  })
