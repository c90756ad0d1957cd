import type { ModulePubSub } from '../../platform/pubsub/types.ts'

/** A per-process copy of something every message of a channel reads (its modes, roles, blocked terms). */
export type ChannelCache<V> = {
  get: (broadcasterId: string) => Promise<V>
  /** Forgets the channel's copy here at once and on every other replica through pub/sub; call it after the change committed. */
  invalidate: (broadcasterId: string) => Promise<void>
  close: () => void
}

/**
 * A cache of `load(broadcasterId)` per channel, at most `capacity` channels (oldest read first
 * out). Every replica drops a channel's copy when any of them announces a change on the
 * module's `cache:<name>` channel, so a moderator's change applies to senders on every replica.
 * A load under way when the change is announced is dropped with the copy: it may have read the row before the change.
 *
 * @example
 * const roles = createChannelCache(pubsub, 'roles', (id) => loadRoles(database, id))
 * await roles.get('42')
 * await roles.invalidate('42') // after the transaction that changed them
 */
export function createChannelCache<V>(
  pubsub: ModulePubSub,
  name: string,
  load: (broadcasterId: string) => Promise<V>,
  capacity = 10_000,
): ChannelCache<V> {
  const entries = new Map<string, Promise<V>>()
  const forget = (broadcasterId: string) => void entries.delete(broadcasterId)
  const unsubscribe = pubsub.subscribe(`cache:${name}`, forget)
  return {
    get(broadcasterId) {
      const cached = entries.get(broadcasterId)
      if (cached) {
        // Re-inserted so the Map's order is least recently read first.
        entries.delete(broadcasterId)
        entries.set(broadcasterId, cached)
        return cached
      }
      const loading = load(broadcasterId)
      entries.set(broadcasterId, loading)
      if (entries.size > capacity) {
        const oldest = entries.keys().next().value
        if (oldest !== undefined) entries.delete(oldest)
      }
      // A failed load is not kept: the next message tries again.
      loading.catch(() => {
        if (entries.get(broadcasterId) === loading) entries.delete(broadcasterId)
      })
      return loading
    },
    async invalidate(broadcasterId) {
      forget(broadcasterId)
      await pubsub.publish(`cache:${name}`, broadcasterId)
    },
    close: unsubscribe,
  }
}
