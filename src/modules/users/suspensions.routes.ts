import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText } from '../../platform/http/text.ts'
import { usersError } from './errors.ts'
import type { Suspension, Suspensions } from './suspensions.ts'
import { UserId } from './user-view.ts'

const params = z.object({ id: UserId })

const SuspensionBody = z
  .strictObject({
    reason: safeText({ min: 1, max: 500 }).openapi({ description: 'Shown to the account when it tries to sign in' }),
    ends_at: z.iso
      .datetime({ offset: true })
      .nullable()
      .optional()
      .openapi({ description: 'When it ends by itself (RFC 3339, in the future); null or absent: until reinstated' }),
  })
  .openapi('SuspensionRequest')

const SuspensionView = z
  .object({
    data: z.object({
      user_id: z.string(),
      reason: z.string(),
      ends_at: z.string().nullable(),
      suspended_at: z.string(),
      suspended_by: z.string().nullable(),
    }),
  })
  .openapi('Suspension')

const toSuspensionView = (s: Suspension): z.infer<typeof SuspensionView> => ({
  data: {
    user_id: s.userId,
    reason: s.reason,
    ends_at: s.endsAt?.toISOString() ?? null,
    suspended_at: s.suspendedAt.toISOString(),
    suspended_by: s.suspendedBy,
  },
})

/**
 * Admins suspend, look up and reinstate accounts (Twitch's account suspensions). The account
 * itself learns of its suspension from the 403 of its logins, as on Twitch.
 */
export function suspensionRoutes(suspensions: Suspensions, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'getUserSuspension',
      method: 'get',
      path: '/api/users/{id}/suspension',
      tags: ['suspensions'],
      summary: 'The account’s suspension in force (admin only)',
      request: { params },
      responses: {
        200: { description: 'The suspension in force', content: { 'application/json': { schema: SuspensionView } } },
        ...problemResponses(400, 404),
      },
    }),
    async (c) => {
      const suspension = await suspensions.current(c.req.valid('param').id)
      if (suspension === undefined) throw usersError('user.not_found', 'No user with this id')
      if (suspension === null) throw usersError('suspension.not_found', 'This account is not suspended')
      return c.json(toSuspensionView(suspension), 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'suspendUser',
      method: 'put',
      path: '/api/users/{id}/suspension',
      tags: ['suspensions'],
      summary: 'Suspend an account (admin only): its sessions end at once, it cannot sign in or go live until ends_at or a reinstatement',
      request: { params, body: { required: true, content: { 'application/json': { schema: SuspensionBody } } } },
      responses: {
        200: { description: 'Suspended (a suspension in force is replaced)', content: { 'application/json': { schema: SuspensionView } } },
        ...problemResponses(400, 404, 409),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const body = c.req.valid('json')
      const endsAt = body.ends_at ? new Date(body.ends_at) : null
      const suspension = await suspensions.suspend(id, { reason: body.reason, endsAt }, c.var.auth.userId)
      if (!suspension) throw usersError('user.not_found', 'No user with this id')
      return c.json(toSuspensionView(suspension), 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'reinstateUser',
      method: 'delete',
      path: '/api/users/{id}/suspension',
      tags: ['suspensions'],
      summary: 'Lift an account’s suspension (admin only; idempotent)',
      request: { params },
      responses: { 204: { description: 'The account is not suspended' }, ...problemResponses(400, 404) },
    }),
    async (c) => {
      if (!(await suspensions.reinstate(c.req.valid('param').id, c.var.auth.userId))) throw usersError('user.not_found', 'No user with this id')
      return c.body(null, 204)
    },
  )

  return router
}
