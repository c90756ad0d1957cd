import type Redis from 'ioredis'
import type { Logger } from 'pino'
import { createInProcessPubSub } from './in-process.ts'
import { createRedisPubSub } from './redis.ts'
import type { PubSubTransport } from './types.ts'

/** Redis pub/sub when the process has Redis (`publisher` is its command connection), else in-process. */
export function createPubSub(redisUrl: string | undefined, publisher: Redis | undefined, log: Logger): PubSubTransport {
  const pubsubLog = log.child({ component: 'pubsub' })
  return redisUrl && publisher ? createRedisPubSub({ url: redisUrl, publisher, log: pubsubLog }) : createInProcessPubSub(pubsubLog)
}
