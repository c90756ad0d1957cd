import type { Logger } from 'pino'
import type { AccessClaims } from '../auth/tokens.ts'

/** The Hono environment every module's routes share. */
export type AppEnv = {
  Variables: {
    requestId: string
    log: Logger
    /** Set by `requireAuth`; absent on anonymous requests. */
    auth: AccessClaims
    /** Module that owns the matched route, for metrics. */
    module: string
  }
}
