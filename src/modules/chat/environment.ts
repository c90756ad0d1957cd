import { z } from 'zod'

const seconds = (what: string, min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `${what}, ${min} to ${max}` })
    .int(`${what}, ${min} to ${max}`)
    .min(min, `${what}, ${min} to ${max}`)
    .max(max, `${what}, ${min} to ${max}`)
    .default(fallback)

/** The chat module's own environment variables. */
export const chatSettings = z.object({
  /** A connection silent this long is sent an IRC `PING`; one silent twice as long is closed (Twitch pings every ~5 min). */
  CHAT_PING_INTERVAL_SECONDS: seconds('seconds', 1, 3600, 60),
  /** How often accepted messages are written to chat_messages, in one batch. */
  CHAT_STORE_INTERVAL_MS: seconds('milliseconds', 10, 60_000, 250),
})
export type ChatSettings = z.infer<typeof chatSettings>
