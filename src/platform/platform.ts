import { OpenAPIHono } from '@hono/zod-openapi'
import Redis from 'ioredis'
import type { Logger } from 'pino'
import { requireAuth } from './auth/guard.ts'
import { loadOrCreateSigningKeys } from './auth/keys.ts'
import { createRevocationFeed } from './auth/revocation-feed.ts'
import { createRevocationList } from './auth/revocations.ts'
import { createAccessTokenVerifier } from './auth/tokens.ts'
import { systemClock, type Clock } from './clock.ts'
import { checkModuleNames, ConfigError, databaseUrlVariable, type Config } from './config.ts'
import { createModuleDatabase, type ModuleDatabase } from './db/database.ts'
import { appliedMigrations, applyMigrations } from './db/migrate.ts'
import { createEventBus } from './events/bus.ts'
import { checkEventRoutes } from './events/routing.ts'
import type { AppEnv } from './http/env.ts'
import { createModuleJobs } from './jobs/module-jobs.ts'
import { apiReference } from './http/docs.ts'
import { metricsRoute, serveMetrics, type MetricsListener } from './http/metrics-listener.ts'
import { bunRoutes, checkNativeRoutes, mountNativeRoutes } from './http/native-routes.ts'
import { requestObserver } from './http/observe.ts'
import { errorHandler, routeNotFound } from './http/on-error.ts'
import { OPENAPI_DOCUMENT } from './http/openapi.ts'
import { checkPrefixes, contestedOwner } from './http/prefixes.ts'
import { combineProblemTables, PLATFORM_PROBLEMS } from './http/problem.ts'
import { RecordingRouter } from './http/recording-router.ts'
import { withSecurityHeaders } from './http/security-headers.ts'
import { createLog } from './log.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import type { ModuleDefinition, ModuleInstance } from './module.ts'
import { parseModuleSettings } from './module-settings.ts'
import { createMemoryRateLimiter, createRedisRateLimiter } from './rate-limit.ts'
import { createPubSub } from './pubsub/create.ts'
import { modulePubSub } from './pubsub/module-pubsub.ts'
import { createSocketSeam } from './sockets/seam.ts'
import { serveWithSockets, type Served } from './sockets/serve.ts'

export type Platform = {
  fetch: (request: Request, server?: unknown) => Response | Promise<Response>
  config: Config
  log: Logger
  metrics: Metrics
  /**
   * Starts `Bun.serve` with the platform's `fetch` and the modules' sockets (`websocket`);
   * once, since a process serves one server. With `METRICS_PORT`, also the metrics listener
   * (`metricsUrl`), stopped after the server. `stop()` stops it first, gracefully.
   * @example
   * const served = platform.serve({ port: config.port, hostname: config.host })
   * await served.stop(config.shutdownTimeoutMs) // in-flight HTTP answered, sockets closed with 1001
   */
  serve: (options: { port: number; hostname: string }) => PlatformServed
  /** Stops serving (if it does), background work, closes pools and Redis; idempotent. */
  stop: () => Promise<void>
}

/** What `serve` started: the server, and where `/metrics` is when it has a listener of its own. */
export type PlatformServed = Served & { metricsUrl: URL | undefined }

type Mounted = { definition: ModuleDefinition; database: ModuleDatabase; instance: ModuleInstance; migrations: number; url: string }

/**
 * The key tokens are verified with: configured, or the embedded default's generated pair's, which
 * the users module signs with (only the platform's public half is kept here).
 */
async function verificationKey(config: Config): Promise<{ publicKey: string; generatedKeysIn: string | undefined }> {
  if (config.jwt.publicKey) return { publicKey: config.jwt.publicKey, generatedKeysIn: undefined }
  return { publicKey: (await loadOrCreateSigningKeys(config.dataDir)).publicKey, generatedKeysIn: config.dataDir }
}

/**
 * Builds the process: one pool and migration run per enabled module, the modules' routes
 * behind the shared HTTP conventions, and the platform's own endpoints. `companions`: the
 * modules start the servers of the embedded default beside it (`bun start` only); `clock`: the
 * time modules are told (a test's movable one; the system's by default).
 */
export async function createPlatform(
  baseConfig: Config,
  definitions: ModuleDefinition[],
  options: { companions?: boolean; clock?: Clock } = {},
): Promise<Platform> {
  checkModuleNames(baseConfig.modules, definitions.map((definition) => definition.name))
  checkEventRoutes(baseConfig, definitions)
  checkPrefixes(definitions.flatMap((d) => d.prefixes.map((prefix) => ({ module: d.name, prefix }))))
  const settings = parseModuleSettings(baseConfig, definitions)
  const problems = combineProblemTables([
    { owner: 'platform', problems: PLATFORM_PROBLEMS },
    ...definitions.map((d) => ({ owner: d.name, problems: d.problems ?? {} })),
  ])
  const keys = await verificationKey(baseConfig)
  const config: Config = { ...baseConfig, jwt: { ...baseConfig.jwt, publicKey: keys.publicKey } }
  const log = createLog({ level: config.logLevel })
  const metrics = createMetrics()
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false, connectionName: 'ondes' })
    : undefined
  redis?.on('error', (error) => log.warn({ err: error }, 'redis error'))
  const rateLimiter = redis ? createRedisRateLimiter(redis, log) : createMemoryRateLimiter()
  const publicKey = config.jwt.publicKey
  if (!publicKey) throw new ConfigError('JWT_PUBLIC_KEY: expected an Ed25519 public key (PEM, SPKI)')
  const revocationList = createRevocationList()
  const verifyAccessToken = await createAccessTokenVerifier(publicKey, config.jwt, revocationList)
  const authenticated = requireAuth(verifyAccessToken)
  const pubsub = createPubSub(config.redisUrl, redis, log)
  const revocations = createRevocationFeed({
    transport: pubsub,
    redis,
    publicKeyPem: publicKey,
    list: revocationList,
    log: log.child({ component: 'revocations' }),
  })
  // Before any module is created: users refills the list when it starts, and nothing is served unchecked.
  await revocations.start()
  const sockets = createSocketSeam({
    registry: metrics.registry,
    log: log.child({ component: 'sockets' }),
    socketModules: definitions.filter((d) => d.websocket !== undefined && config.modules.includes(d.name)).map((d) => d.name),
    idleTimeoutSeconds: config.sockets.idleTimeoutSeconds,
    backpressureLimitBytes: config.sockets.backpressureLimitBytes,
  })

  const mounted: Mounted[] = []
  const stopDatabases = async () => {
    await Promise.allSettled(mounted.map((m) => m.database.close()))
  }
  try {
    for (const definition of definitions.filter((d) => config.modules.includes(d.name))) {
      const url = config.databaseUrls[definition.name]
      if (!url) throw new ConfigError(`${databaseUrlVariable(definition.name)}: expected a postgres:// URL`)
      const migrations = await applyMigrations(definition.name, url, definition.migrations)
      const database = createModuleDatabase({
        module: definition.name,
        url,
        poolMax: config.dbPoolMax,
        queryDuration: metrics.queryDuration,
        pools: metrics.pools,
      })
      const instance = await Promise.resolve()
        .then(() =>
          definition.create({
            settings: settings.get(definition.name) ?? {},
            platform: {
              tokens: { issuer: config.jwt.issuer, audience: config.jwt.audience, generatedKeysIn: keys.generatedKeysIn },
              trustProxy: config.trustProxy,
              http: { host: config.host, port: config.port },
              companions: options.companions ?? false,
            },
            database,
            redis,
            log: log.child({ module: definition.name }),
            metrics,
            verifyAccessToken,
            authenticated,
            rateLimiter,
            sockets: sockets.hub(definition.name, definition.websocket),
            pubsub: modulePubSub(pubsub, definition.name),
            revocations,
            sessionRevoked: revocationList.sessionRevoked,
            clock: options.clock ?? systemClock,
          }),
        )
        .catch(async (error: unknown) => {
          await database.close()
          throw error
        })
      mounted.push({ definition, database, instance, migrations, url })
      sockets.bind(definition.name, instance.sockets)
    }
  } catch (error) {
    revocations.close()
    await pubsub.close()
    await stopDatabases()
    redis?.disconnect()
    throw error
  }

  const events = createEventBus({ config, log, registry: metrics.registry, modules: mounted, definitions, clock: options.clock })
  const jobs = createModuleJobs({
    modules: mounted.map(({ definition, url, instance }) => ({ module: definition.name, url, jobs: instance.jobs ?? [] })),
    log,
    registry: metrics.registry,
  })

  const prefixes = mounted.flatMap(({ definition }) =>
    definition.prefixes.map((prefix) => ({ module: definition.name, prefix })),
  )
  const router = new RecordingRouter({ ownerOf: contestedOwner(prefixes) })
  const app = new OpenAPIHono<AppEnv>({ router })
  const nativeRoutes = mounted.flatMap(({ definition, instance }) => (instance.nativeRoutes ?? []).map((route) => ({ module: definition.name, route })))
  checkNativeRoutes(nativeRoutes, prefixes)
  for (const { definition, instance } of mounted) {
    router.mount(definition.name, () => {
      app.route('/', instance.routes)
      mountNativeRoutes(app, instance.nativeRoutes ?? [])
    })
  }

  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const checks: Record<string, string> = {}
    await Promise.all([
      ...mounted.map(async ({ definition, database, migrations }) => {
        try {
          const applied = await appliedMigrations(database)
          checks[`${definition.name}_db`] = applied >= migrations ? 'ok' : `migrations ${applied}/${migrations}`
        } catch (error) {
          checks[`${definition.name}_db`] = `down: ${(error as Error).message}`
        }
      }),
      ...(redis
        ? [
            Promise.race([redis.ping(), Bun.sleep(1000).then(() => 'timeout')])
              .then((answer) => (checks.redis = answer === 'PONG' ? 'ok' : `down: ${answer}`))
              .catch((error: Error) => (checks.redis = `down: ${error.message}`)),
          ]
        : []),
      events.readiness().then((states) => Object.assign(checks, states)),
      pubsub.readiness().then((state) => state !== undefined && (checks.pubsub = state)),
    ])
    const revocationsState = revocations.readiness()
    if (revocationsState !== undefined) checks.revocations = revocationsState
    Object.assign(checks, jobs.readiness())
    // A singleton job another replica runs is as it should be.
    const ready = Object.values(checks).every((v) => v === 'ok' || v === 'standby')
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503)
  })
  // With a listener of its own, the public port answers 404 for /metrics.
  if (config.metricsPort === undefined) app.get('/metrics', metricsRoute(metrics.registry))
  app.doc31('/openapi.json', OPENAPI_DOCUMENT)
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  app.route('/docs', apiReference({ base: '/docs', spec: '/openapi.json', title: 'Ondes API' }))

  app.notFound(routeNotFound)
  app.onError(errorHandler(problems))

  for (const { instance } of mounted) await instance.start?.()
  await events.start()
  jobs.start()

  let stopping: Promise<void> | undefined
  let served: PlatformServed | undefined
  const observer = requestObserver({ log, metrics, prefixes })
  const fetch = withSecurityHeaders(observer.requests(app.fetch, router))
  const routes = bunRoutes(nativeRoutes, { observe: observer.route, problems, fetch })
  return {
    fetch,
    config,
    log,
    metrics,
    serve: (options) => {
      if (served) throw new Error('the platform is already serving')
      const server = serveWithSockets(sockets, fetch, { ...options, routes, maxRequestBodySize: config.maxBodyBytes })
      let listener: MetricsListener | undefined
      try {
        const port = config.metricsPort
        listener = port === undefined ? undefined : serveMetrics(metrics.registry, { port, hostname: options.hostname })
      } catch (error) {
        // The metrics port taken: nothing is left listening on the public one.
        void server.stop(0)
        throw error
      }
      return (served = {
        ...server,
        metricsUrl: listener?.url,
        stop: async (timeoutMs) => {
          await server.stop(timeoutMs)
          await listener?.stop()
        },
      })
    },
    stop: () =>
      (stopping ??= (async () => {
        await served?.stop(config.shutdownTimeoutMs)
        // Jobs first: a run may still publish, and the relay then sends it before it stops.
        await jobs.stop()
        await events.stop()
        for (const { instance } of mounted) await instance.stop?.()
        revocations.close()
        await pubsub.close()
        await stopDatabases()
        redis?.disconnect()
      })()),
  }
}
