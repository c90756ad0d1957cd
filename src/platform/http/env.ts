import type { AccessClaims } from '../auth/tokens.ts'
import type { RequestScope } from './request-scope.ts'

/** The Hono environment every module's routes share. */
export type AppEnv = {
  /** Set by the platform for every request: `c.env.requestId`, `c.env.log`. */
  Bindings: RequestScope
  Variables: {
    /** Set by `requireAuth`; absent on anonymous requests. */
    auth: AccessClaims
  }
}
