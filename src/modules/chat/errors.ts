import { domainErrors } from '../../platform/errors.ts'
import type { ProblemTable } from '../../platform/http/problem.ts'

/** The chat module's domain error codes and their HTTP statuses (on IRC they become `msg-id`s). */
export const CHAT_PROBLEMS = {
  'chat.not_moderator': 403, // only the broadcaster or a moderator of the channel may do this
  'chat.broadcaster_not_found': 404,
} as const satisfies ProblemTable

/** A chat `DomainError`; a code missing from `CHAT_PROBLEMS` does not compile. */
export const chatError = domainErrors(CHAT_PROBLEMS)
