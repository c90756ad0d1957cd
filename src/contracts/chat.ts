/**
 * The chat module's published language. Chat never publishes one event per message: it
 * publishes, per channel and minute, how many messages were accepted and from whom. Names carry
 * a version; `z.object` drops fields it does not know, so adding a field is not a breaking change.
 */
import { z } from 'zod'

const id = z.string().min(1)
const timestamp = z.iso.datetime({ offset: true })

export const chatEvents = {
  /**
   * One minute of one channel's chat (`minute` is its start, UTC, seconds zero): accepted
   * messages per chatter, in chunks of at most 1 000 chatters (`chunk` of `chunks`); the
   * minute's `messages` total is the sum over its chunks. Published once the minute is over.
   */
  'chat.activity.v1': z.object({
    broadcaster_id: id,
    minute: timestamp,
    chatters: z.array(z.object({ user_id: id, messages: z.number().int().min(1) })).max(1000),
    chunk: z.number().int().min(1),
    chunks: z.number().int().min(1),
  }),
} as const

export type ChatEventType = keyof typeof chatEvents
export type ChatEvent<T extends ChatEventType> = z.output<(typeof chatEvents)[T]>
