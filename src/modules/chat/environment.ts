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
  /** The largest emote image an upload takes (bytes), Twitch's 1 MB; each of three sizes uploaded apart, half that. */
  CHAT_EMOTE_MAX_BYTES: seconds('bytes', 1024, 1_048_576, 1_048_576),
  /** How often the USERNOTICEs of handled events (subs, gifts, raids) are sent to their rooms. */
  CHAT_NOTICE_INTERVAL_MS: seconds('milliseconds', 10, 60_000, 200),
  /** How often finished minutes of chat activity are published (chat.activity.v1). */
  CHAT_ACTIVITY_FLUSH_MS: seconds('milliseconds', 10, 60_000, 5_000),
  /** How often other users' JOINs and PARTs are sent, batched, to twitch.tv/membership connections (Twitch batches them too). */
  CHAT_MEMBERSHIP_INTERVAL_MS: seconds('milliseconds', 10, 60_000, 10_000),
})
export type ChatSettings = z.infer<typeof chatSettings>
