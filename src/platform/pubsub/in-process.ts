import type { Logger } from 'pino'
import { createSubscribers } from './subscribers.ts'
import type { PubSubTransport } from './types.ts'

/** Pub/sub within one process (no Redis): handlers run after `publish` returns, as they would over Redis. */
export function createInProcessPubSub(log: Logger): PubSubTransport {
  const subscribers = createSubscribers(log)
  return {
    publish: async (channel, message) => {
      await null
      subscribers.deliver(channel, message)
    },
    subscribe: (channel, handler) => subscribers.add(channel, handler, () => {}, () => {}),
    readiness: async () => undefined,
    close: async () => {},
  }
}
