import type { ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from 'pino'
import { DomainError } from '../errors.ts'
import type { AppEnv } from './env.ts'
import { Problem, problemFor, problemResponse, type ProblemTable } from './problem.ts'

// Hono's own refusals (unreadable body, wrong media type…), named like the validator's.
const HTTP_EXCEPTION_CODES: Record<number, string> = {
  400: 'request.invalid',
  413: 'request.too_large',
  415: 'request.unsupported_media_type',
}

export const routeNotFound: NotFoundHandler<AppEnv> = (c) =>
  problemResponse(c, new Problem(404, `No route for ${c.req.method} ${c.req.path}`, { code: 'route.not_found' }))

/**
 * The problem whatever a handler threw is answered with: a `Problem` as it is, a `DomainError`
 * through `problems`. A domain error whose code has no answer there is a bug of the module
 * (its table lacks a row), so it is a 500 logged with its code, the same in tests as in
 * production; modules' typed error factories make that a compile error in the first place.
 */
export function problemOf(error: unknown, problems: ProblemTable, log: Logger): Problem {
  if (error instanceof Problem) return error
  if (error instanceof DomainError) {
    const problem = problemFor(error, problems)
    if (problem) return problem
    log.error({ err: error, code: error.code }, `domain error ${error.code} has no HTTP answer in any problems table`)
  } else if (error instanceof HTTPException) {
    const status = error.status >= 400 && error.status < 500 ? error.status : 500
    return new Problem(status, error.message || 'Request refused', { code: HTTP_EXCEPTION_CODES[status] })
  } else {
    log.error({ err: error }, 'unhandled error')
  }
  return new Problem(500, 'Something went wrong on our side; the request id tells us where', { code: 'internal' })
}

/** Hono's `onError`: `problemOf` the error, as problem+json. */
export function errorHandler(problems: ProblemTable): ErrorHandler<AppEnv> {
  return (error, c) => problemResponse(c, problemOf(error, problems, c.env.log))
}
