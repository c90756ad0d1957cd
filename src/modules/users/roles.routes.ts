import { createRoute, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { requireRole } from '../../platform/auth/guard.ts'
import { ROLES } from '../../platform/auth/tokens.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { Problem } from '../../platform/http/problem.ts'
import { createRouter } from '../../platform/http/router.ts'
import type { Roles } from './roles.ts'
import { UserId } from './user-view.ts'

const params = z.object({
  id: UserId,
  role: z.enum(ROLES).openapi({ param: { name: 'role', in: 'path' } }),
})

export function roleRoutes(roles: Roles, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const adminOnly = [authenticated, requireRole('admin')]

  router.openapi(
    createRoute({
      method: 'put',
      path: '/api/users/{id}/roles/{role}',
      tags: ['roles'],
      summary: 'Grant a global role (admin only; idempotent)',
      security: [{ bearer: [] }],
      middleware: adminOnly,
      request: { params },
      responses: { 204: { description: 'The user holds the role' }, ...problemResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id, role } = c.req.valid('param')
      if (!(await roles.grant(Number(id), role, Number(c.var.auth.userId)))) throw new Problem(404, 'No user with this id')
      return c.body(null, 204)
    },
  )

  router.openapi(
    createRoute({
      method: 'delete',
      path: '/api/users/{id}/roles/{role}',
      tags: ['roles'],
      summary: 'Revoke a global role (admin only; idempotent)',
      security: [{ bearer: [] }],
      middleware: adminOnly,
      request: { params },
      responses: { 204: { description: 'The user does not hold the role' }, ...problemResponses(400, 401, 403) },
    }),
    async (c) => {
      const { id, role } = c.req.valid('param')
      await roles.revoke(Number(id), role, Number(c.var.auth.userId))
      return c.body(null, 204)
    },
  )

  return router
}
