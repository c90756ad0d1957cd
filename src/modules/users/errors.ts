import { domainErrors } from '../../platform/errors.ts'
import type { ProblemTable } from '../../platform/http/problem.ts'

/**
 * The users module's domain error codes and their HTTP statuses, declared once (the platform
 * renders them as problem+json whose `type` ends in the code). Chat will answer the ones it
 * meets with IRC `msg-id`s from a table of its own.
 */
export const USERS_PROBLEMS = {
  'account.gone': 401, // a valid token of an account deleted since
  'account.suspended': 403, // a login (with the right password) while an admin's suspension is in force
  'follow.self': 400,
  'login.invalid': 401,
  'login.taken': 409,
  'refresh.invalid': 401,
  'role.suspended': 409, // admin is granted only to an account not suspended
  'refresh.reused': 401,
  'session.expired': 401, // a refresh after the idle or absolute lifetime
  'session.not_found': 404,
  'session.revoked': 401, // a refresh of a session signed out, revoked, or ended by a reused token
  'suspension.admin': 409, // an admin is suspended only once the role is revoked
  'suspension.ended': 400, // an `ends_at` not ahead of the clock
  'suspension.not_found': 404, // the account is not suspended (or its suspension has ended)
  'suspension.self': 400,
  'user.not_found': 404,
} as const satisfies ProblemTable

/** A users `DomainError`; a code missing from `USERS_PROBLEMS` does not compile. */
export const usersError = domainErrors(USERS_PROBLEMS)
