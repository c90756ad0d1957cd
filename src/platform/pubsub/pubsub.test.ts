import { afterAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import pino from 'pino'
import { testRedisUrl } from '../testing/harness.ts'
import { createInProcessPubSub } from './in-process.ts'
import { modulePubSub } from './module-pubsub.ts'
import { createRedisPubSub } from './redis.ts'
import type { PubSubTransport } from './types.ts'

const log = pino({ level: 'silent' })
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Collects what a handler receives; `until(n)` waits for n messages. */
function inbox() {
  const messages: string[] = []
  return {
    messages,
    handler: (message: string) => void messages.push(message),
    until: async (n: number, timeoutMs = 3000) => {
      const deadline = performance.now() + timeoutMs
      while (messages.length < n && performance.now() < deadline) await Bun.sleep(5)
      return messages
    },
  }
}

/** The same behaviour, whichever transport: what a module may count on. */
function behaves(name: string, open: () => Promise<PubSubTransport | undefined>) {
  describe(name, () => {
    test('each module publishes on its own channels; another reads them only by naming the module', async () => {
      const transport = await open()
      if (!transport) return
      const channel = `c${crypto.randomUUID().slice(0, 8)}`
      const chat = modulePubSub(transport, 'chat')
      const streams = modulePubSub(transport, 'streams')
      const [own, same, other, fromChat] = [inbox(), inbox(), inbox(), inbox()]
      chat.subscribe(channel, own.handler)
      chat.subscribe(channel, same.handler)
      streams.subscribe(channel, other.handler)
      streams.subscribe(channel, fromChat.handler, { from: 'chat' })
      await Bun.sleep(50) // Redis: let the SUBSCRIBEs land before publishing.

      await chat.publish(channel, 'one')
      await streams.publish(channel, 'two')
      await Promise.all([own, same, fromChat, other].map((box) => box.until(1)))
      await Bun.sleep(50) // Time for a message delivered where it should not be to show up.
      expect(own.messages).toEqual(['one'])
      expect(same.messages).toEqual(['one'])
      expect(fromChat.messages).toEqual(['one'])
      expect(other.messages).toEqual(['two'])
    })

    test('unsubscribe stops one subscription, not the others on the channel; order is kept', async () => {
      const transport = await open()
      if (!transport) return
      const channel = `c${crypto.randomUUID().slice(0, 8)}`
      const users = modulePubSub(transport, 'users')
      const [kept, dropped] = [inbox(), inbox()]
      users.subscribe(channel, kept.handler)
      const unsubscribe = users.subscribe(channel, dropped.handler)
      await Bun.sleep(50)
      await users.publish(channel, 'a')
      await dropped.until(1)
      unsubscribe()
      for (const message of ['b', 'c', 'd']) await users.publish(channel, message)
      expect(await kept.until(4)).toEqual(['a', 'b', 'c', 'd'])
      expect(dropped.messages).toEqual(['a'])
    })

    test('a handler that throws does not keep the message from the others', async () => {
      const transport = await open()
      if (!transport) return
      const channel = `c${crypto.randomUUID().slice(0, 8)}`
      const users = modulePubSub(transport, 'users')
      const after = inbox()
      users.subscribe(channel, () => {
        throw new Error('a broken handler')
      })
      users.subscribe(channel, after.handler)
      await Bun.sleep(50)
      await users.publish(channel, 'still delivered')
      expect(await after.until(1)).toEqual(['still delivered'])
    })
  })
}

behaves('in-process pub/sub', async () => {
  const transport = createInProcessPubSub(log)
  cleanups.push(() => transport.close())
  return transport
})

behaves('Redis pub/sub', async () => {
  const url = testRedisUrl('Redis pub/sub')
  if (!url) return undefined
  const publisher = new Redis(url, { connectionName: 'ondes-test-publisher' })
  const transport = createRedisPubSub({ url, publisher, log })
  cleanups.push(() => publisher.disconnect(), () => transport.close())
  return transport
})

describe('Redis pub/sub connections', () => {
  test('subscriptions live on a dedicated connection, never the command connection; /readyz state is ok', async () => {
    const url = testRedisUrl('Redis pub/sub connections')
    if (!url) return
    const name = `ondes-test-cmd-${crypto.randomUUID().slice(0, 8)}`
    const publisher = new Redis(url, { connectionName: name })
    const transport = createRedisPubSub({ url, publisher, log })
    const admin = new Redis(url)
    cleanups.push(() => publisher.disconnect(), () => transport.close(), () => admin.disconnect())
    const subscribed = inbox()
    const channel = `c${crypto.randomUUID().slice(0, 8)}`
    transport.subscribe(channel, subscribed.handler)
    await Bun.sleep(50)
    await transport.publish(channel, 'x')
    expect(await subscribed.until(1)).toEqual(['x'])
    expect(await transport.readiness()).toBe('ok')

    const clients = String(await admin.client('LIST'))
      .split('\n')
      .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('=') as [string, string])))
    // The command connection still runs commands: it is not in subscriber mode.
    expect(clients.find((c) => c.name === name)).toMatchObject({ sub: '0' })
    expect(await publisher.ping()).toBe('PONG')
    const subscribers = clients.filter((c) => c.name === 'ondes-pubsub' && Number(c.sub) > 0)
    expect(subscribers.length).toBeGreaterThan(0)
  })
})
