import { resolve } from 'node:path'
import { createRouter } from '../../platform/http/router.ts'
import { defineModule } from '../../platform/module.ts'
import { registerBusinessMetrics } from './business-metrics.ts'
import { channelRoutes } from './channels.routes.ts'
import { createCurrent } from './current.ts'
import { analyticsSettings } from './environment.ts'
import { ANALYTICS_PROBLEMS } from './errors.ts'
import { pruneFacts } from './fact-pruning.ts'
import { analyticsConsumers } from './handlers.ts'
import { platformRoutes } from './platform.routes.ts'
import { createRollups } from './rollups.ts'
import { createSessions } from './sessions.ts'
import { streamRoutes } from './streams.routes.ts'
import { watchTimeRoutes } from './watch-time.routes.ts'

/**
 * What a broadcaster sees of their streams, audience and revenue, and what operators see of the
 * platform: built only from the other modules' events, through the inbox, never their databases.
 */
export const analytics = defineModule({
  name: 'analytics',
  prefixes: ['/api/analytics'],
  migrations: resolve(import.meta.dir, '../../../migrations/analytics'),
  consumes: analyticsConsumers,
  problems: ANALYTICS_PROBLEMS,
  settings: analyticsSettings,
  create({ settings, database, metrics, authenticated }) {
    const sessions = createSessions(database, settings.ANALYTICS_LATE_EVENTS_SECONDS)
    const rollups = createRollups(database)
    const current = createCurrent(database.sql)
    registerBusinessMetrics(metrics.registry, current)
    return {
      routes: createRouter()
        .route('/', streamRoutes(sessions, authenticated))
        .route('/', channelRoutes(rollups, authenticated))
        .route('/', watchTimeRoutes(database, authenticated))
        .route('/', platformRoutes(current, rollups, authenticated)),
      jobs: [
        { name: 'rollups', everyMs: settings.ANALYTICS_ROLLUP_REFRESH_SECONDS * 1000, singleton: true, run: ({ signal }) => rollups.refresh(signal) },
        // Often enough that a summary is final soon after its late events' window closes.
        { name: 'stream-summaries', everyMs: 15_000, singleton: true, run: async () => void (await sessions.summarize()) },
        { name: 'fact-pruning', everyMs: 3_600_000, singleton: true, run: async ({ signal }) => void (await pruneFacts(database.sql, settings.ANALYTICS_FACTS_RETENTION_DAYS, signal)) },
      ],
    }
  },
})
