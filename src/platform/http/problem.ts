import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { DomainError, FieldError } from '../errors.ts'

export type { FieldError } from '../errors.ts'

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
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** Where a problem's `type` points: one page per stable code, never per status. */
export const problemType = (code: string) => `https://ondes.dev/problems/${code}`

type ProblemOptions = { code?: string; errors?: FieldError[]; headers?: Record<string, string> }

/**
 * An RFC 9457 problem raised by the HTTP layer itself (validation, the auth guard, no route),
 * thrown anywhere in a handler and rendered by the app's error handler. Services throw a
 * `DomainError` instead; the module's `problems` table turns it into one of these.
 *
 * `code` names the problem's `type`; without one it is derived from the status
 * (`not-found`), which is only right for answers that carry no rule of their own.
 *
 * @example
 * ```ts
 * throw new Problem(400, 'Give at least one login or id', { code: 'request.invalid' })
 * ```
 */
export class Problem extends Error {
  override name = 'Problem'
  readonly code: string
  constructor(
    readonly status: ContentfulStatusCode,
    detail: string,
    readonly options: ProblemOptions = {},
  ) {
    super(detail)
    this.code = options.code ?? (TITLES[status] ?? 'error').toLowerCase().replaceAll(' ', '-')
  }

  toBody(): ProblemBody {
    return {
      type: problemType(this.code),
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    }
  }
}

/** How one domain error code is answered over HTTP: its status, and headers it calls for. */
export type ProblemMapping = {
  status: ContentfulStatusCode
  headers?: (error: DomainError) => Record<string, string>
}

/**
 * A module's domain error codes and their HTTP answers, declared once as data (a status, or a
 * status with headers): handlers never pick statuses for domain errors themselves. Chat keeps
 * a table of the same shape from codes to IRC `msg-id`s.
 *
 * @example
 * ```ts
 * export const USERS_PROBLEMS = { 'user.not_found': 404, 'login.taken': 409 } as const satisfies ProblemTable
 * export const users: ModuleDefinition = { name: 'users', problems: USERS_PROBLEMS, … }
 * ```
 */
export type ProblemTable = Readonly<Record<string, ContentfulStatusCode | ProblemMapping>>

const INVALID_TOKEN = { 'www-authenticate': 'Bearer error="invalid_token"' }

/** Codes the platform itself raises into any module's routes. */
export const PLATFORM_PROBLEMS = {
  rate_limited: { status: 429, headers: (error) => ({ 'retry-after': String(error.details.retryAfterSeconds ?? 1) }) },
  'token.expired': { status: 401, headers: () => INVALID_TOKEN },
  'token.invalid': { status: 401, headers: () => INVALID_TOKEN },
  'token.revoked': { status: 401, headers: () => INVALID_TOKEN },
} as const satisfies ProblemTable

/**
 * The process's one table: the platform's codes and every mounted module's. A code that two
 * of them answer differently is refused at start, since a client could not branch on it.
 */
export function combineProblemTables(tables: { owner: string; problems: ProblemTable }[]): ProblemTable {
  const combined: Record<string, ContentfulStatusCode | ProblemMapping> = {}
  const owners: Record<string, string> = {}
  for (const { owner, problems } of tables) {
    for (const [code, mapping] of Object.entries(problems)) {
      const known = combined[code]
      if (known !== undefined && known !== mapping) {
        throw new Error(`${owner}: error code ${code} is already answered differently by ${owners[code]}`)
      }
      combined[code] = mapping
      owners[code] = owner
    }
  }
  return combined
}

/** The problem `error` maps to in `table`, or undefined when its code is not there. */
export function problemFor(error: DomainError, table: ProblemTable): Problem | undefined {
  const mapping = table[error.code]
  if (mapping === undefined) return undefined
  const { status, headers } = typeof mapping === 'number' ? { status: mapping, headers: undefined } : mapping
  return new Problem(status, error.message, {
    code: error.code,
    ...(error.details.errors ? { errors: error.details.errors } : {}),
    ...(headers ? { headers: headers(error) } : {}),
  })
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export function problemResponse(c: Context, problem: Problem): Response {
  return c.body(JSON.stringify(problem.toBody()), problem.status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    ...problem.options.headers,
  })
}

/** `problem` as a problem+json response of its own, for an answer made outside Hono (a native route). */
export function problemAnswer(problem: Problem): Response {
  return new Response(JSON.stringify(problem.toBody()), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...problem.options.headers },
  })
}
