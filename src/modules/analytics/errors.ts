import { domainErrors } from '../../platform/errors.ts'
import type { ProblemTable } from '../../platform/http/problem.ts'

/** The analytics module's domain error codes and their HTTP statuses. */
export const ANALYTICS_PROBLEMS = {
  'analytics.not_owner': 403, // only the channel's broadcaster (or an admin) reads its analytics
  'analytics.range_invalid': 400, // ended_at before started_at, or a range longer than the granularity allows
  'stream.not_found': 404, // no session with this id has reached analytics
} as const satisfies ProblemTable

/** An analytics `DomainError`; a code missing from `ANALYTICS_PROBLEMS` does not compile. */
export const analyticsError = domainErrors(ANALYTICS_PROBLEMS)
