import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { withSafeText } from '../../platform/http/text.ts'
import { usersError } from './errors.ts'
import type { Settings, SettingsStore } from './settings.ts'

const Notifications = z.object({ live: z.boolean(), email: z.boolean(), whispers: z.boolean() })

const SettingsView = z
  .object({
    chat_color: z.string().nullable().openapi({ example: '#9146FF' }),
    language: z.string().openapi({ example: 'en' }),
    notifications: Notifications,
    mature_content: z.boolean(),
  })
  .openapi('Settings')

const SettingsUpdate = z
  .strictObject({
    chat_color: withSafeText(z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'a colour as #RRGGBB'))
      .nullable()
      .optional(),
    // BCP 47 primary language with an optional region, as Twitch's broadcaster_language.
    language: withSafeText(z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'a language tag such as "en" or "pt-BR"')).optional(),
    notifications: Notifications.partial().strict().optional(),
    mature_content: z.boolean().optional(),
  })
  .openapi('SettingsUpdate')

const toView = (s: Settings) => ({
  chat_color: s.chatColor,
  language: s.language,
  notifications: s.notifications,
  mature_content: s.matureContent,
})

const one = z.object({ data: SettingsView })

export function settingsRoutes(settings: SettingsStore, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const missing = () => usersError('account.gone', 'This account no longer exists')

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getMySettings',
      method: 'get',
      path: '/api/users/me/settings',
      tags: ['users'],
      summary: 'Your settings',
      responses: { 200: { description: 'Settings', content: { 'application/json': { schema: one } } } },
    }),
    async (c) => {
      const found = await settings.read(c.var.auth.userId)
      if (!found) throw missing()
      return c.json({ data: toView(found) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'updateMySettings',
      method: 'patch',
      path: '/api/users/me/settings',
      tags: ['users'],
      summary: 'Change your settings (only the fields given)',
      request: { body: { required: true, content: { 'application/json': { schema: SettingsUpdate } } } },
      responses: {
        200: { description: 'Settings', content: { 'application/json': { schema: one } } },
        ...problemResponses(400),
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const updated = await settings.update(c.var.auth.userId, {
        chatColor: body.chat_color?.toUpperCase() ?? (body.chat_color === null ? null : undefined),
        language: body.language,
        notifications: body.notifications,
        matureContent: body.mature_content,
      })
      if (!updated) throw missing()
      return c.json({ data: toView(updated) }, 200)
    },
  )

  return router
}
