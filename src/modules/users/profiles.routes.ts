import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { Problem } from '../../platform/http/problem.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText, withSafeText } from '../../platform/http/text.ts'
import { usersError } from './errors.ts'
import { DisplayName, displayNameMismatch } from './names.ts'
import type { Profiles } from './profiles.ts'
import { toUserView, UserId, UserView } from './user-view.ts'

const one = z.object({ data: UserView })
const many = z.object({ data: z.array(UserView) })

const httpsUrl = withSafeText(
  z
    .string()
    .max(2048)
    .refine((value) => value === '' || /^https?:\/\/[^\s]+$/.test(value), 'an http(s) URL or ""'),
)

const ProfileUpdate = z
  .strictObject({
    display_name: DisplayName.optional(),
    description: safeText({ max: 300, multiline: true }).optional(),
    profile_image_url: httpsUrl.optional(),
    offline_image_url: httpsUrl.optional(),
  })
  .openapi('ProfileUpdate')

const asList = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat())

const Lookup = z.object({
  login: z
    .union([safeText({ max: 64 }), z.array(safeText({ max: 64 }))])
    .optional()
    .openapi({ description: 'Up to 100 logins (repeat the parameter)' }),
  id: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi({ description: 'Up to 100 ids (repeat the parameter)' }),
})

export function profileRoutes(profiles: Profiles, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const gone = () => usersError('account.gone', 'This account no longer exists')

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getMe',
      method: 'get',
      path: '/api/users/me',
      tags: ['users'],
      summary: 'The signed-in user',
      responses: { 200: { description: 'You', content: { 'application/json': { schema: one } } } },
    }),
    async (c) => {
      const me = await profiles.byId(c.var.auth.userId)
      if (!me) throw gone()
      return c.json({ data: toUserView(me) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'updateMe',
      method: 'patch',
      path: '/api/users/me',
      tags: ['users'],
      summary: 'Edit your profile',
      request: { body: { required: true, content: { 'application/json': { schema: ProfileUpdate } } } },
      responses: {
        200: { description: 'Updated profile', content: { 'application/json': { schema: one } } },
        ...problemResponses(400),
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const mismatch = body.display_name === undefined ? undefined : displayNameMismatch(body.display_name, c.var.auth.login)
      if (mismatch) {
        throw new Problem(400, `Invalid body: display_name: ${mismatch}`, {
          code: 'request.invalid',
          errors: [{ field: 'display_name', message: mismatch }],
        })
      }
      const me = await profiles.update(c.var.auth.userId, {
        displayName: body.display_name,
        description: body.description,
        profileImageUrl: body.profile_image_url,
        offlineImageUrl: body.offline_image_url,
      })
      if (!me) throw gone()
      return c.json({ data: toUserView(me) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getUser',
      method: 'get',
      path: '/api/users/{id}',
      tags: ['users'],
      summary: 'A user by id',
      request: { params: z.object({ id: UserId }) },
      responses: {
        200: { description: 'The user', content: { 'application/json': { schema: one } } },
        ...problemResponses(400, 404),
      },
    }),
    async (c) => {
      const user = await profiles.byId(c.req.valid('param').id)
      if (!user) throw usersError('user.not_found', 'No user with this id')
      return c.json({ data: toUserView(user) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getUsers',
      method: 'get',
      path: '/api/users',
      tags: ['users'],
      summary: 'Users by login and/or id (Helix "Get Users")',
      request: { query: Lookup },
      responses: {
        200: { description: 'The users found, in no particular order', content: { 'application/json': { schema: many } } },
        ...problemResponses(400),
      },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const logins = asList(query.login).map((l) => l.toLowerCase())
      const ids = asList(query.id)
      if (logins.length + ids.length === 0) throw new Problem(400, 'Give at least one login or id', { code: 'request.invalid' })
      if (logins.length + ids.length > 100) {
        throw new Problem(400, 'At most 100 logins and ids together', { code: 'request.invalid' })
      }
      const badId = ids.find((id) => !UserId.safeParse(id).success)
      if (badId !== undefined) {
        throw new Problem(400, `Invalid query parameter: id: "${badId}" is not a user id`, {
          code: 'request.invalid',
          errors: [{ field: 'id', message: 'a user id (digits)' }],
        })
      }
      const [byLogin, byId] = await Promise.all([
        logins.length > 0 ? profiles.byLogins(logins) : [],
        ids.length > 0 ? profiles.byIds(ids) : [],
      ])
      const found = new Map([...byLogin, ...byId].map((row) => [row.id, row]))
      return c.json({ data: [...found.values()].map(toUserView) }, 200)
    },
  )

  return router
}
