import { domainErrors } from '../../platform/errors.ts'
import type { ProblemTable } from '../../platform/http/problem.ts'

/**
 * The users module's domain error codes and their HTTP statuses, declared once (the platform
 * renders them as problem+json whose `type` ends in the code). Chat will answer the ones it
 * meets with IRC `msg-id`s from a table of its own.
 */
export const USERS_PROBLEMS = {
  'account.gone': 401, // a valid token of an account deleted since
  'follow.self': 400,
  'login.invalid': 401,
  'login.taken': 409,
  'refresh.invalid': 401,
  'refresh.reused': 401,
  'session.expired': 401, // a refresh after the idle or absolute lifetime
  'session.not_found': 404,
  'session.revoked': 401, // a refresh of a session signed out, revoked, or ended by a reused token
  'user.not_found': 404,
} as const satisfies ProblemTable

/** A users `DomainError`; a code missing from `USERS_PROBLEMS` does not compile. */
export const usersError = domainErrors(USERS_PROBLEMS)
