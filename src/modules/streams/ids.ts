import { z } from '@hono/zod-openapi'

const MAX_BIGINT = 2n ** 63n - 1n

/** A bigint id as the API carries it: decimal text, 1 to 2^63−1. */
export const Id = z
  .string()
  // One check: a refinement after a failed regex would still run, and BigInt(':') throws.
  .refine((value) => /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= MAX_BIGINT, 'an id (digits, up to 2^63−1)')
  .openapi({ example: '141981764' })

/** The id of a user, so of a broadcaster and their channel. */
export const BroadcasterId = Id.openapi({ description: "The broadcaster's user id", example: '141981764' })
