import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './env.ts'
import { Problem, problemResponse } from './problem.ts'

const TARGET_NAMES: Record<string, string> = {
  json: 'body',
  query: 'query parameter',
  param: 'path parameter',
  header: 'header',
  cookie: 'cookie',
  form: 'form field',
}

/**
 * The 400 problem of a validation failure of `target` (`json`, `param`…), listing every field
 * error as the router's answer does; for a route that checks its input by hand.
 * @example throw invalidRequest('json', Heartbeat.safeParse(body).error?.issues ?? [])
 */
export function invalidRequest(target: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): Problem {
  const errors = issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message: issue.message,
  }))
  const where = TARGET_NAMES[target] ?? target
  const detail = `Invalid ${where}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`
  return new Problem(400, detail, { code: 'request.invalid', errors })
}

/**
 * A module's router. Validation failures become one 400 problem listing every field error,
 * so a client learns everything wrong with a request at once.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return
      return problemResponse(c, invalidRequest(result.target, result.error.issues))
    },
  })
}
