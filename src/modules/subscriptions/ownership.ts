import { subscriptionsError } from './errors.ts'

/**
 * The broadcaster id a broadcaster-only route names (Helix's `broadcaster_id`), which must be
 * the caller's own; `channel.not_broadcaster` otherwise.
 * @example
 * const broadcasterId = ownChannel(c.var.auth.userId, c.req.valid('query').broadcaster_id)
 */
export function ownChannel(callerId: string, broadcasterId: string): string {
  if (callerId !== broadcasterId) throw subscriptionsError('channel.not_broadcaster', "Only the channel's broadcaster manages this")
  return broadcasterId
}
