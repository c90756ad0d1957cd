import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type FieldError = { field: string; message: string }

export type ProblemBody = {
  type: string
  title: string
  status: number
  detail: string
  errors?: FieldError[]
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** An RFC 9457 problem, thrown anywhere in a handler and rendered by the app's error handler. */
export class Problem extends Error {
  override name = 'Problem'
  constructor(
    readonly status: ContentfulStatusCode,
    detail: string,
    readonly options: { type?: string; errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail)
  }

  toBody(): ProblemBody {
    const title = TITLES[this.status] ?? 'Error'
    return {
      type: this.options.type ?? `https://ondes.dev/problems/${title.toLowerCase().replaceAll(' ', '-')}`,
      title,
      status: this.status,
      detail: this.message,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    }
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export function problemResponse(c: Context, problem: Problem): Response {
  return c.body(JSON.stringify(problem.toBody()), problem.status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    ...problem.options.headers,
  })
}
