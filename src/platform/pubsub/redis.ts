import Redis from 'ioredis'
import type { Logger } from 'pino'
import { createSubscribers } from './subscribers.ts'
import type { PubSubTransport } from './types.ts'

const CHANNEL_PREFIX = 'ondes:pubsub:'

/**
 * Pub/sub across replicas over Redis. Subscriptions live on one dedicated connection (a
 * connection in subscriber mode can run no other command, so never the command connection),
 * which ioredis re-subscribes after a reconnect (`autoResubscribe`, proven by the Redis restart
 * test: ioredis 5.8.x had a subscriber regression). Publishing uses the command connection.
 */
export function createRedisPubSub(options: { url: string; publisher: Redis; log: Logger }): PubSubTransport {
  const { publisher, log } = options
  const subscriber = new Redis(options.url, {
    connectionName: 'ondes-pubsub',
    autoResubscribe: true,
    // A subscribe made while Redis is away waits for it instead of failing.
    maxRetriesPerRequest: null,
  })
  let lastError = ''
  subscriber.on('error', (error: Error) => {
    if (error.message !== lastError) log.warn({ err: error }, 'pub/sub subscriber connection error')
    lastError = error.message
  })
  subscriber.on('ready', () => (lastError = ''))
  const subscribers = createSubscribers(log)
  subscriber.on('message', (channel: string, message: string) => subscribers.deliver(channel.slice(CHANNEL_PREFIX.length), message))

  const failed = (what: string, channel: string) => (error: Error) => log.warn({ err: error, channel }, `pub/sub ${what} failed`)

  return {
    publish: (channel, message) =>
      publisher.publish(CHANNEL_PREFIX + channel, message).then(() => undefined, failed('publish', channel)),
    subscribe: (channel, handler) =>
      subscribers.add(
        channel,
        handler,
        () => void subscriber.subscribe(CHANNEL_PREFIX + channel).catch(failed('subscribe', channel)),
        () => void subscriber.unsubscribe(CHANNEL_PREFIX + channel).catch(failed('unsubscribe', channel)),
      ),
    readiness: async () => {
      if (subscriber.status !== 'ready') return `down: subscriber connection ${subscriber.status}${lastError ? ` (${lastError})` : ''}`
      // PING is allowed in subscriber mode; a connection that looks ready but has stopped answering is down too.
      const answer = await Promise.race([subscriber.ping().then(() => 'ok', (error: Error) => `down: ${error.message}`), Bun.sleep(1000).then(() => 'down: no answer to PING within 1 s')])
      return answer
    },
    close: async () => {
      subscriber.disconnect()
    },
  }
}
