import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { ROLES } from '../../platform/auth/tokens.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { usersError } from './errors.ts'
import type { Roles } from './roles.ts'
import { UserId } from './user-view.ts'

const params = z.object({
  id: UserId,
  role: z.enum(ROLES).openapi({ param: { name: 'role', in: 'path' } }),
})

export function roleRoutes(roles: Roles, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'grantRole',
      method: 'put',
      path: '/api/users/{id}/roles/{role}',
      tags: ['roles'],
      summary: 'Grant a global role (admin only; idempotent); admin is refused to a suspended account',
      request: { params },
      responses: { 204: { description: 'The user holds the role' }, ...problemResponses(400, 404, 409) },
    }),
    async (c) => {
      const { id, role } = c.req.valid('param')
      if (!(await roles.grant(id, role, c.var.auth.userId))) throw usersError('user.not_found', 'No user with this id')
      return c.body(null, 204)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'revokeRole',
      method: 'delete',
      path: '/api/users/{id}/roles/{role}',
      tags: ['roles'],
      summary: 'Revoke a global role (admin only; idempotent)',
      request: { params },
      responses: { 204: { description: 'The user does not hold the role' }, ...problemResponses(400) },
    }),
    async (c) => {
      const { id, role } = c.req.valid('param')
      await roles.revoke(id, role, c.var.auth.userId)
      return c.body(null, 204)
    },
  )

  return router
}
