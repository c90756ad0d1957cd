import { z } from '@hono/zod-openapi'

const MAX_BIGINT = 2n ** 63n - 1n

/**
 * A bigint id as the API carries it (users, broadcasters, streams): decimal text, 1 to 2^63−1,
 * so a query never sees a value its `::bigint` cast would refuse with a 500.
 * @example
 * request: { params: z.object({ id: BigintId }) }
 */
export const BigintId = z
  .string()
  // One check: a refinement after a failed regex would still run, and BigInt(':') throws.
  .refine((value) => /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= MAX_BIGINT, 'an id (digits, up to 2^63−1)')
  .openapi({ example: '141981764' })
