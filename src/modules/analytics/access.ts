import type { AccessClaims } from '../../platform/auth/tokens.ts'
import { analyticsError } from './errors.ts'

/**
 * A channel's analytics are its broadcaster's, and every admin's: `analytics.not_owner` for anyone else.
 * @example
 * ownerOrAdmin(c.var.auth, c.req.valid('param').id)
 */
export function ownerOrAdmin(caller: AccessClaims, broadcasterId: string): void {
  if (caller.userId !== broadcasterId && !caller.roles.includes('admin')) {
    throw analyticsError('analytics.not_owner', "Only the channel's broadcaster or an admin reads its analytics")
  }
}
