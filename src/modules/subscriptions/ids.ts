import { z } from '@hono/zod-openapi'

const MAX_BIGINT = 2n ** 63n - 1n

/** A user's id as the API carries it (so a broadcaster's): decimal text, 1 to 2^63−1. */
export const UserId = z
  .string()
  // One check: a refinement after a failed regex would still run, and BigInt(':') throws.
  .refine((value) => /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= MAX_BIGINT, 'an id (digits, up to 2^63−1)')
  .openapi({ example: '141981764' })

/** A reward's or redemption's id (Helix: a UUID). */
export const Uuid = z.uuid().openapi({ example: '92af127c-7326-4483-a52b-b0da0be61c01' })
