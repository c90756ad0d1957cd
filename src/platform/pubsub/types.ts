/** Receives one message of a channel, on every replica subscribed to it (the publisher's own included). */
export type MessageHandler = (message: string) => void

/**
 * The process's pub/sub, channels unscoped: what the platform itself uses (issue 9's
 * revocations reader subscribes `users:revocations`), and what each module's view is cut from.
 */
export type PubSubTransport = {
  publish: (channel: string, message: string) => Promise<void>
  subscribe: (channel: string, handler: MessageHandler) => () => void
  /** `ok`, or `down: <why>`; undefined when nothing can be down (in-process). */
  readiness: () => Promise<string | undefined>
  close: () => Promise<void>
}

/**
 * A module's pub/sub (`ModuleContext.pubsub`): traffic every replica must see now and need
 * not survive a crash (chat lines across chat replicas, viewer counts, revocations). In one
 * process without `REDIS_URL` it stays in the process; with it, it goes through Redis pub/sub
 * on a dedicated subscriber connection, re-subscribed after a reconnect. Delivery is at most
 * once: what is published while Redis is down is lost (and logged); durable facts go through
 * events instead.
 *
 * A module publishes only on its own channels (`chat` publishing `room:1` is `chat:room:1`);
 * it reads its own, or another module's by naming it (`{ from: 'users' }`), as every module
 * will read the revocations users publishes.
 *
 * @example
 * const unsubscribe = context.pubsub.subscribe(`room:${roomId}`, (line) => context.sockets.publish(`room:${roomId}`, line))
 * await context.pubsub.publish(`room:${roomId}`, line)
 * context.pubsub.subscribe('revocations', (message) => revoke(JSON.parse(message)), { from: 'users' })
 * unsubscribe()
 */
export type ModulePubSub = {
  /** Never rejects: a failed publish (Redis down) is logged and the message lost. */
  publish: (channel: string, message: string) => Promise<void>
  /** Returns the unsubscribe; handlers run one message at a time, in the order Redis delivers them. */
  subscribe: (channel: string, handler: MessageHandler, options?: { from?: string }) => () => void
}
