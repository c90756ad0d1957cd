import { z } from '@hono/zod-openapi'

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem')

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing, expired or invalid access token',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body larger than the route takes',
  416: 'No byte of the file is in the Range asked for',
  422: 'Unprocessable',
  429: 'Rate limited (see Retry-After)',
}

/** OpenAPI entries for the problem+json answers a route can give. */
export function problemResponses<S extends number>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: DESCRIPTIONS[status] ?? 'Error', content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  ) as Record<S, { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }>
}

/**
 * The document's header. `servers` is relative: the document is served by the API it
 * describes, so a generated client calls whatever origin it fetched `/openapi.json` from.
 */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'Ondes API', version: '1.0.0', description: 'Twitch-style live-streaming platform' },
  servers: [{ url: '/', description: 'The server that serves this document' }],
}
