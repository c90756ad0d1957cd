import type { ModulePubSub, PubSubTransport } from './types.ts'

/** The module's view of the process's pub/sub: its own channels, and others' named with `from`. */
export function modulePubSub(transport: PubSubTransport, module: string): ModulePubSub {
  return {
    publish: (channel, message) => transport.publish(`${module}:${channel}`, message),
    subscribe: (channel, handler, options) => transport.subscribe(`${options?.from ?? module}:${channel}`, handler),
  }
}
