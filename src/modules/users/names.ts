import { z } from '@hono/zod-openapi'
import { withSafeText } from '../../platform/http/text.ts'

const NAME = /^[A-Za-z0-9_]{4,25}$/

/** A login as typed at registration: stored lowercased, unique. */
export const Login = withSafeText(z.string().regex(NAME, '4–25 letters, digits or underscores')).openapi({ example: 'twitchdev' })

/** How a login is shown: the same letters, only their capitalisation may differ (Twitch's rule). */
export const DisplayName = withSafeText(
  z.string().regex(NAME, 'your login, with any capitalisation (4–25 letters, digits or underscores)'),
).openapi({ example: 'TwitchDev' })

/**
 * Why `displayName` cannot show `login`, or undefined when it can. ASCII only (`DisplayName`), so
 * no look-alike letter lowercases into the login (the Kelvin sign K into k).
 *
 * @example
 * displayNameMismatch('TwitchDev', 'twitchdev') // undefined
 * displayNameMismatch('Twitch_Dev', 'twitchdev') // 'only the capitalisation of your login (twitchdev) may differ'
 */
export function displayNameMismatch(displayName: string, login: string): string | undefined {
  if (displayName.toLowerCase() === login.toLowerCase()) return undefined
  return `only the capitalisation of your login (${login.toLowerCase()}) may differ`
}
