import { z } from '@hono/zod-openapi'

/**
 * A JSON answer's OpenAPI entry.
 * @example
 * responses: { 200: json(data(TierView), 'The tiers') }
 */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/** Helix's envelope of one or more items: `{ data: [...] }`. */
export const data = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item) })
