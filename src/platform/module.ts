import type { OpenAPIHono } from '@hono/zod-openapi'
import type Redis from 'ioredis'
import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { z } from 'zod'
import type { RevocationPublisher } from './auth/revocation-feed.ts'
import type { AccessTokenVerifier } from './auth/tokens.ts'
import type { Clock } from './clock.ts'
import type { ModuleDatabase } from './db/database.ts'
import type { Snapshot } from './events/snapshot.ts'
import type { ConsumedEvents, EventContracts } from './events/types.ts'
import type { AppEnv } from './http/env.ts'
import type { NativeRoute } from './http/native-routes.ts'
import type { ProblemTable } from './http/problem.ts'
import type { Job } from './jobs/job.ts'
import type { Metrics } from './metrics.ts'
import type { ModulePubSub } from './pubsub/types.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { ModuleSockets, SocketServer } from './sockets/types.ts'

/** Platform settings a module may need, handed over one by one (never the whole configuration). */
export type PlatformSettings = {
  /** Who issues access tokens and for whom (`JWT_ISSUER`, `JWT_AUDIENCE`); the platform verifies them. */
  tokens: {
    issuer: string
    audience: string
    /** The data directory of the embedded default's generated key pair; undefined when `JWT_PUBLIC_KEY` is set. */
    generatedKeysIn: string | undefined
  }
  /** Take the client address from X-Forwarded-For (`TRUST_PROXY`, set behind the gateway). */
  trustProxy: boolean
  /** Where this process serves HTTP (`HOST`, `PORT`): a server the module starts beside it calls it back there. */
  http: { host: string; port: number }
  /**
   * Whether the module may start the servers of the embedded default beside this process (the
   * streams module's nginx-rtmp) in `start`, stopping them in `stop`: true for `bun start`
   * (src/main.ts), false for a test's platform, which must not spawn servers of its own.
   */
  companions: boolean
}

/** What the platform hands a module when it is mounted. */
export type ModuleContext<Settings = Record<string, unknown>> = {
  /** The module's own variables, parsed by its `settings` schema; no other module's. */
  settings: Settings
  platform: PlatformSettings
  database: ModuleDatabase
  redis: Redis | undefined
  log: Logger
  metrics: Metrics
  verifyAccessToken: AccessTokenVerifier
  /** `requireAuth` bound to the platform's verifier. */
  authenticated: MiddlewareHandler<AppEnv>
  rateLimiter: RateLimiter
  /** Bun's native publish to this module's socket topics; delivers to nobody (returns 0) until the platform serves. */
  sockets: SocketServer
  /** Pub/sub across this module's replicas (in-process without Redis). */
  pubsub: ModulePubSub
  /** Ends access tokens before their `exp` on every process (users publishes; every verifier applies them). */
  revocations: RevocationPublisher
  /**
   * Whether a session has been revoked (logout, a reused refresh token), as this process's
   * verifier knows it: what a long-lived connection checks (chat), whose token was verified once.
   */
  sessionRevoked: (sessionId: string) => boolean
  /** The time for date-bound rules (renewals, expiries): the system's, or a test's movable one. */
  clock: Clock
}

export type ModuleInstance = {
  routes: OpenAPIHono<AppEnv>
  /**
   * Routes Bun's own router serves ahead of Hono, where a route's cost per request is what
   * matters (`native-routes.ts`); mounted in `routes` too. Documented by the module as any route.
   */
  nativeRoutes?: NativeRoute[]
  /** Background work (consumers, timers); started after migrations, before serving. */
  start?: () => Promise<void>
  stop?: () => Promise<void>
  /**
   * Named background work on a schedule (every N ms or cron), optionally on one replica at a
   * time; the platform starts it after migrations and `start`, stops it before pools close.
   * @example
   * jobs: [{ name: 'expired-sessions', everyMs: 60_000, singleton: true, run: ({ signal }) => purge(database, signal) }]
   */
  jobs?: Job[]
  /**
   * Socket handlers, served at the definition's `websocket` path (required there, refused
   * without it). Per-socket data is the module's own type.
   * @example
   * sockets: { upgrade: () => ({ data: { joined: Date.now() } }), message: (ws, text) => ws.send(text) } satisfies ModuleSockets<{ joined: number }>
   */
  // Handlers are methods, so a module's ModuleSockets<ItsData> fits here (method parameters are bivariant).
  sockets?: ModuleSockets<unknown>
}

/**
 * A module's whole public face: `src/modules/<name>/index.ts` exports one of these, built
 * with `defineModule` so `create` sees its settings' type.
 */
export type ModuleDefinition<Settings extends z.ZodObject = z.ZodObject> = {
  /** One of `MODULE_NAMES` for the product's modules; a test module has its own (`probe`, `socket-echo`). */
  name: string
  /** Path prefixes the module owns, e.g. `/api/users`; the gateway is generated from them. */
  prefixes: string[]
  /** Path the module serves WebSocket upgrades on (chat: `/`); the gateway proxies upgrades there. */
  websocket?: string
  /** Absolute path of the module's drizzle-kit migrations folder. */
  migrations: string
  /** The events it publishes (its `src/contracts/<name>.ts` map); the platform relays its outbox. */
  produces?: EventContracts
  /**
   * Its current state as ordinary events (`snapshotOf(contracts, …)`), replayed to one consumer
   * that joins late: at that consumer's first start, or by `bun run events:replay`.
   */
  snapshot?: Snapshot
  /** The events it handles, built with `consume(contracts, handlers)`. */
  consumes?: ConsumedEvents
  /** HTTP answers of its domain error codes (`{ 'follow.self': 400 }`), so services throw `DomainError`s, not statuses. */
  problems?: ProblemTable
  /**
   * Its own environment variables, validated at start-up with the platform's one-line errors
   * (`VARIABLE: expected …, got "…"`); `create` receives them parsed as `context.settings`.
   */
  settings?: Settings
  // A method, so a module's ModuleDefinition<ItsSettings> fits in a ModuleDefinition[] (method parameters are bivariant).
  create(context: ModuleContext<z.infer<Settings>>): Promise<ModuleInstance> | ModuleInstance
}

/**
 * Types a module's definition from its `settings` schema.
 *
 * @example
 * export const chat = defineModule({
 *   name: 'chat',
 *   settings: z.object({ CHAT_MAX_MESSAGE_LENGTH: z.coerce.number().int().min(1).default(500) }),
 *   create: ({ settings }) => ({ routes: chatRoutes(settings.CHAT_MAX_MESSAGE_LENGTH) }),
 *   …
 * })
 */
export function defineModule<Settings extends z.ZodObject = z.ZodObject>(
  definition: ModuleDefinition<Settings>,
): ModuleDefinition<Settings> {
  return definition
}
