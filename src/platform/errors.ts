/** One field a client got wrong, as problem+json lists it and a form shows it. */
export type FieldError = { field: string; message: string }

/** What a domain error may carry besides its code and message, for any transport to render. */
export type DomainErrorDetails = {
  /** The fields at fault (a taken login…). */
  errors?: FieldError[]
  /** When the same request may succeed again (`rate_limited`). */
  retryAfterSeconds?: number
}

/**
 * A rule of the domain said no. Services throw these, never a transport's shape: the HTTP
 * edge maps `code` to a problem+json through the module's table (`ProblemTable`), chat will
 * map it to an IRC `msg-id`. Codes are stable, dotted, lowercase (`follow.self`): clients
 * branch on them, so renaming one is a breaking change.
 *
 * @example
 * ```ts
 * // users/errors.ts declares the code and its HTTP status once…
 * export const USERS_PROBLEMS = { 'follow.self': 400 } as const satisfies ProblemTable
 * // …follows.ts throws it, knowing nothing of HTTP.
 * if (followerId === followedId) throw new DomainError('follow.self', 'You cannot follow yourself')
 * ```
 */
export class DomainError<Code extends string = string> extends Error {
  override name = 'DomainError'
  constructor(
    readonly code: Code,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message)
  }
}

/**
 * A module's error factory, typed by its table, so an unmapped code is a compile error
 * instead of a 500.
 *
 * @example
 * ```ts
 * export const usersError = domainErrors(USERS_PROBLEMS)
 * throw usersError('user.not_found', 'No user with this id')
 * ```
 */
export const domainErrors =
  <Table extends Record<string, unknown>>(_table: Table) =>
  (code: Extract<keyof Table, string>, message: string, details?: DomainErrorDetails): DomainError<Extract<keyof Table, string>> =>
    new DomainError(code, message, details)

