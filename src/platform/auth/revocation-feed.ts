import { createHash } from 'node:crypto'
import type Redis from 'ioredis'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { PubSubTransport } from '../pubsub/types.ts'
import type { Revocation, RevocationList } from './revocations.ts'
import { MAX_ACCESS_TOKEN_AGE_SECONDS, ROLES } from './tokens.ts'

/** How users announces revocations (`ModuleContext.revocations`); every process's verifier applies them. */
export type RevocationPublisher = {
  /**
   * Applies them in this process at once, stores them for processes that start later, tells the
   * others; never rejects. False when Redis did not take them within a second: the publisher
   * announces them again later (users re-announces what its database holds).
   */
  publish: (revocations: readonly Revocation[]) => Promise<boolean>
}

export type RevocationFeed = RevocationPublisher & {
  /** Subscribes, then loads what is stored (Redis); waits for the load at most `loadTimeoutMs`. */
  start: () => Promise<void>
  /** `ok`, or `down: <why>` while the stored revocations could not be read; undefined without Redis. */
  readiness: () => string | undefined
  close: () => void
}

const RevocationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('session'), sessionId: z.string().min(1).max(64), until: z.number() }),
  z.object({
    kind: z.literal('roles'),
    userId: z.string().regex(/^[0-9]{1,20}$/),
    version: z.number().int(),
    roles: z.array(z.enum(ROLES)),
    until: z.number(),
  }),
])
const MessageSchema = z.array(RevocationSchema)

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// Nothing a revocation covers outlives the oldest token any verifier accepts.
const RETENTION_MS = (MAX_ACCESS_TOKEN_AGE_SECONDS + 120) * 1000
const CHUNK = 500
/** A logout waits no longer for a Redis that does not answer (frozen, not closed): the rest goes on in the background. */
const PUBLISH_WAIT_MS = 1000
/** Re-reads what was stored since the last read: repairs a message lost while a subscriber reconnected. */
const RESYNC_MS = 5000
// Scores are the publishers' clocks: re-read a little before the last one seen.
const RESYNC_OVERLAP_MS = 5000

/**
 * Revocations concern the tokens of one key pair: processes sharing a Redis but verifying with
 * another key (another deployment, a test run) neither see nor store each other's.
 */
const keyFingerprint = (publicKeyPem: string) => createHash('sha256').update(publicKeyPem.trim()).digest('hex').slice(0, 16)

/** The Redis key revocations of tokens signed by `publicKeyPem`'s pair are stored under (a test removes its own). */
export const revocationStoreKey = (publicKeyPem: string) => `ondes:revocations:${keyFingerprint(publicKeyPem)}`

/**
 * Carries revocations to every process: pub/sub (`users:revocations:<key>`) for the ones
 * running, and with Redis a sorted set beside it (score: when stored) that a process starting
 * later loads, then re-reads every few seconds. Without Redis there is one process, whose list
 * users refills at start from its database.
 *
 * @example
 * const feed = createRevocationFeed({ transport, redis, publicKeyPem, list, log })
 * await feed.start()
 * await feed.publish([{ kind: 'session', sessionId, until }])
 */
export function createRevocationFeed(options: {
  transport: PubSubTransport
  redis: Redis | undefined
  publicKeyPem: string
  list: RevocationList
  log: Logger
  loadTimeoutMs?: number
}): RevocationFeed {
  const { transport, redis, list, log } = options
  const fingerprint = keyFingerprint(options.publicKeyPem)
  const channel = `users:revocations:${fingerprint}`
  const key = revocationStoreKey(options.publicKeyPem)
  let loaded = false
  let lastScore = Number.NEGATIVE_INFINITY
  let loading: Promise<void> | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  let unsubscribe: (() => void) | undefined
  let lastError = ''

  const warnOnce = (error: unknown, what: string) => {
    const message = error instanceof Error ? error.message : String(error)
    if (message !== lastError) log.warn({ err: error }, what)
    lastError = message
  }

  const load = (client: Redis) =>
    (loading ??= (async () => {
      const since = Number.isFinite(lastScore) ? `(${lastScore - RESYNC_OVERLAP_MS}` : '-inf'
      const entries = await client.zrangebyscore(key, since, '+inf', 'WITHSCORES')
      const revocations: Revocation[] = []
      const now = Date.now() / 1000
      for (let i = 0; i < entries.length; i += 2) {
        const parsed = RevocationSchema.safeParse(parseJson(entries[i] ?? ''))
        // Stored for a day (the longest any token lives), most are over well before.
        if (parsed.success && parsed.data.until > now) revocations.push(parsed.data)
        lastScore = Math.max(lastScore, Number(entries[i + 1]))
      }
      list.apply(revocations)
      loaded = true
      lastError = ''
    })()
      .catch((error: unknown) => warnOnce(error, 'revocations could not be read from Redis'))
      .finally(() => (loading = undefined)))

  const store = async (client: Redis, chunk: readonly Revocation[]) => {
    const now = Date.now()
    const results = await client
      .multi()
      .zadd(key, ...chunk.flatMap((revocation) => [now, JSON.stringify(revocation)]))
      .zremrangebyscore(key, '-inf', now - RETENTION_MS)
      .pexpire(key, RETENTION_MS)
      .exec()
    const failed = results?.find(([error]) => error !== null)?.[0]
    if (failed) throw failed
  }

  return {
    async publish(revocations) {
      list.apply(revocations)
      const announced = (async () => {
        let stored = true
        for (let i = 0; i < revocations.length; i += CHUNK) {
          const chunk = revocations.slice(i, i + CHUNK)
          // Stored before it is announced: a process that misses the message reads it at its next resync.
          if (redis) {
            stored = await store(redis, chunk).then(
              () => stored,
              (error: unknown) => {
                warnOnce(error, 'revocations could not be stored in Redis')
                return false
              },
            )
          }
          await transport.publish(channel, JSON.stringify(chunk))
        }
        return stored
      })()
      const late = Bun.sleep(PUBLISH_WAIT_MS).then(() => 'late' as const)
      const outcome = await Promise.race([announced, late])
      if (outcome === 'late') warnOnce(new Error(`Redis did not answer within ${PUBLISH_WAIT_MS} ms`), 'revocations are still being announced')
      return outcome === true
    },
    async start() {
      unsubscribe = transport.subscribe(channel, (message) => {
        const parsed = MessageSchema.safeParse(parseJson(message))
        if (parsed.success) list.apply(parsed.data)
        else log.warn({ channel }, 'a revocations message of an unknown shape was dropped')
      })
      timer = setInterval(() => {
        list.prune()
        if (redis) void load(redis)
      }, RESYNC_MS)
      timer.unref()
      if (redis) await Promise.race([load(redis), Bun.sleep(options.loadTimeoutMs ?? 2000)])
    },
    readiness: () => (redis === undefined ? undefined : loaded ? 'ok' : `down: revocations not read from Redis${lastError ? ` (${lastError})` : ''}`),
    close() {
      clearInterval(timer)
      unsubscribe?.()
    },
  }
}
