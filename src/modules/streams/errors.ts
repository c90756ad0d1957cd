import { domainErrors } from '../../platform/errors.ts'
import type { ProblemTable } from '../../platform/http/problem.ts'

/** The streams module's domain error codes and their HTTP statuses. */
export const STREAMS_PROBLEMS = {
  'broadcaster.suspended': 403, // the media server's publish callbacks: the account is suspended
  'category.not_found': 404,
  'category.taken': 409,
  'channel.not_found': 404,
  'channel.delay_partners_only': 403,
  'clip.not_found': 404,
  'clip.out_of_range': 400,
  'clip.too_early': 409,
  'channel.not_owner': 403,
  'game.unknown': 400,
  // The media server's callbacks: any 4xx refuses the publish (or cuts it, for an update).
  'ingest.forbidden': 403,
  'raid.not_found': 404,
  'raid.pending': 409,
  'raid.self': 400,
  'raid.target_offline': 409,
  'recording.invalid': 400,
  'stream_key.invalid': 403,
  'stream.already_live': 409,
  'stream.not_live': 404,
  'thumbnail.not_found': 404,
  'video.not_found': 404,
} as const satisfies ProblemTable

/** A streams `DomainError`; a code missing from `STREAMS_PROBLEMS` does not compile. */
export const streamsError = domainErrors(STREAMS_PROBLEMS)
