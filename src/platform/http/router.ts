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
 * A module's router. Validation failures become one 400 problem listing every field error,
 * so a client learns everything wrong with a request at once.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return
      const errors = result.error.issues.map((issue) => ({
        field: issue.path.length > 0 ? issue.path.join('.') : '(root)',
        message: issue.message,
      }))
      const where = TARGET_NAMES[result.target] ?? result.target
      const detail = `Invalid ${where}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`
      return problemResponse(c, new Problem(400, detail, { code: 'request.invalid', errors }))
    },
  })
}
