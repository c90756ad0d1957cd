import { z } from 'zod'
import { MAX_ATTEMPTS } from './events/types.ts'

/** The product's five modules: what `MODULES` may name. Test modules take names of their own. */
export const MODULE_NAMES = ['users', 'streams', 'chat', 'subscriptions', 'analytics'] as const
export type ModuleName = (typeof MODULE_NAMES)[number]

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/.+/, 'a postgres:// URL')
  .optional()

const modulesList = z
  .string()
  .default(MODULE_NAMES.join(','))
  .transform((value, ctx) => {
    const names = value
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean)
    const unknown = names.filter((name) => !(MODULE_NAMES as readonly string[]).includes(name))
    if (unknown.length > 0 || names.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `a comma list of ${MODULE_NAMES.join(', ')} (unknown: ${unknown.join(', ') || 'none given'})`,
      })
      return z.NEVER
    }
    return [...new Set(names)] as ModuleName[]
  })

const envSchema = z.object({
  MODULES: modulesList,
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  USERS_DATABASE_URL: postgresUrl,
  STREAMS_DATABASE_URL: postgresUrl,
  CHAT_DATABASE_URL: postgresUrl,
  SUBSCRIPTIONS_DATABASE_URL: postgresUrl,
  ANALYTICS_DATABASE_URL: postgresUrl,
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/.+/, 'a redis:// URL')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  JWT_PUBLIC_KEY: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).default('ondes'),
  JWT_AUDIENCE: z.string().min(1).default('ondes'),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  WS_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(0).max(960).default(120),
  WS_BACKPRESSURE_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(128 * 1024 * 1024).default(1024 * 1024),
  TRUST_PROXY: z.enum(['true', 'false', '1', '0']).default('false'),
  EVENTS_STREAM_PREFIX: z.string().min(1).default('ondes:events'),
  EVENTS_CLAIM_IDLE_MS: z.coerce.number().int().min(10).default(30_000),
  EVENTS_INBOX_RETENTION_HOURS: z.coerce.number().int().min(1).default(7 * 24),
  EVENTS_DEAD_CONSUMER_IDLE_MS: z.coerce.number().int().min(1000).default(60 * 60 * 1000),
})

type Env = z.infer<typeof envSchema>

export type Config = {
  /** Module names this process serves: from `MODULES`, or a test's own module names. */
  modules: string[]
  port: number
  host: string
  /** `/metrics` on a listener of its own on this port (and HOST); the public port then answers 404 for it. */
  metricsPort: number | undefined
  /** Per-module database URL; a missing entry means "use the embedded Postgres". */
  databaseUrls: Partial<Record<string, string>>
  dbPoolMax: number
  redisUrl: string | undefined
  logLevel: Env['LOG_LEVEL']
  /** Verification of access tokens (the private key is the users module's own setting). */
  jwt: {
    publicKey: string | undefined
    issuer: string
    audience: string
  }
  dataDir: string
  embeddedPostgresPort: number
  shutdownTimeoutMs: number
  sockets: {
    /** A socket that sends nothing (not even a pong to the server's ping) this long is closed; 0 never. */
    idleTimeoutSeconds: number
    /** A socket with more than this many bytes unsent is closed (a reader too slow for its frames). */
    backpressureLimitBytes: number
  }
  /** The largest request body the server takes from anyone (Bun refuses more before any route runs); routes take less. */
  maxBodyBytes: number
  /** Take the client address from X-Forwarded-For (set when behind the gateway). */
  trustProxy: boolean
  events: {
    /** Redis Streams: the streams' key prefix, and how long an entry stays pending before another consumer claims it. */
    streamPrefix: string
    claimIdleMs: number
    /** How long a consumer remembers an event it handled (its inbox row), so a redelivery changes nothing. */
    inboxRetentionHours: number
    /** A consumer of a group idle this long with nothing pending (a replica gone) is deleted from the group. */
    deadConsumerIdleMs: number
  }
  /** The environment this was read from: each module's own settings are parsed from it. */
  env: Record<string, string | undefined>
}

/** A configuration error carries exactly one line: the variable and what it expects. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export const databaseUrlVariable = (module: string): string =>
  `${module.toUpperCase().replaceAll('-', '_')}_DATABASE_URL`

/**
 * Refuses a module name the process was asked to serve but was given no definition for: it
 * would serve nothing, silently (a test's config naming a module it did not pass). One of the
 * five may be named before the build has it; `main.ts` reports what it serves.
 *
 * @example checkModuleNames(config.modules, definitions.map((d) => d.name))
 */
export function checkModuleNames(enabled: string[], defined: string[]): void {
  const missing = enabled.find((name) => !defined.includes(name) && !(MODULE_NAMES as readonly string[]).includes(name))
  if (missing !== undefined) {
    throw new ConfigError(`MODULES: expected modules this build has (${defined.join(', ') || 'none'}), got "${missing}"`)
  }
}

/**
 * Reads `schema`'s variables from `env`; the first bad one stops start-up with one line,
 * `VARIABLE: expected …, got "…"`. The platform parses each module's `settings` with it.
 *
 * @example parseEnvironment(z.object({ PORT: z.coerce.number().default(3000) }), process.env).PORT
 */
export function parseEnvironment<Schema extends z.ZodObject>(
  schema: Schema,
  env: Record<string, string | undefined>,
): z.infer<Schema> {
  const parsed = schema.safeParse(env)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const variable = String(issue?.path[0] ?? 'environment')
  const received = env[variable]
  throw new ConfigError(
    `${variable}: expected ${issue?.message ?? 'a valid value'}${received === undefined ? '' : `, got ${JSON.stringify(received)}`}`,
  )
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parseEnvironment(envSchema, env)
  const databaseUrls: Config['databaseUrls'] = {}
  for (const module of MODULE_NAMES) {
    const url = e[databaseUrlVariable(module) as keyof Env] as string | undefined
    if (url) databaseUrls[module] = url
  }
  // Ten times the longest a failing entry keeps coming back, at the least: redeliveries after
  // longer outages must still find the event in the inbox.
  const minRetentionHours = Math.ceil((10 * MAX_ATTEMPTS * e.EVENTS_CLAIM_IDLE_MS) / 3_600_000)
  if (e.EVENTS_INBOX_RETENTION_HOURS < minRetentionHours) {
    throw new ConfigError(
      `EVENTS_INBOX_RETENTION_HOURS: expected at least ${minRetentionHours} hours (ten times the redelivery window, ${MAX_ATTEMPTS} deliveries × EVENTS_CLAIM_IDLE_MS=${e.EVENTS_CLAIM_IDLE_MS}), got "${e.EVENTS_INBOX_RETENTION_HOURS}"`,
    )
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    throw new ConfigError(`METRICS_PORT: expected a port other than PORT's, got "${e.METRICS_PORT}"`)
  }
  return {
    modules: e.MODULES,
    port: e.PORT,
    host: e.HOST,
    metricsPort: e.METRICS_PORT,
    databaseUrls,
    dbPoolMax: e.DB_POOL_MAX,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    jwt: { publicKey: e.JWT_PUBLIC_KEY, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    dataDir: e.DATA_DIR,
    embeddedPostgresPort: e.EMBEDDED_POSTGRES_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    sockets: { idleTimeoutSeconds: e.WS_IDLE_TIMEOUT_SECONDS, backpressureLimitBytes: e.WS_BACKPRESSURE_LIMIT_BYTES },
    maxBodyBytes: e.MAX_BODY_BYTES,
    trustProxy: e.TRUST_PROXY === 'true' || e.TRUST_PROXY === '1',
    events: {
      streamPrefix: e.EVENTS_STREAM_PREFIX,
      claimIdleMs: e.EVENTS_CLAIM_IDLE_MS,
      inboxRetentionHours: e.EVENTS_INBOX_RETENTION_HOURS,
      deadConsumerIdleMs: e.EVENTS_DEAD_CONSUMER_IDLE_MS,
    },
    env,
  }
}
