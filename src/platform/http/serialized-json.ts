import type { Context, TypedResponse } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { JSONParsed, JSONValue } from 'hono/utils/types'

declare const serializedOf: unique symbol

/** The JSON text of a `T`: serialised once, sent as often as it is asked for. */
export type SerializedJson<T> = string & { readonly [serializedOf]: T }

/**
 * `value` as JSON text, for an answer many requests share (a cached page): `jsonAnswer` then
 * sends it without serialising it again per request.
 * @example const body = serializedJson({ data: streams.map(toStreamView), pagination: {} })
 */
export function serializedJson<T extends JSONValue | object>(value: T): SerializedJson<T> {
  return JSON.stringify(value) as SerializedJson<T>
}

/**
 * What `c.json(value, status)` answers (its headers and the ones middleware set, the route's
 * response type), from text `serializedJson` made.
 * @example return jsonAnswer(c, body, 200)
 */
export function jsonAnswer<T, U extends ContentfulStatusCode>(
  c: Context,
  body: SerializedJson<T>,
  status: U,
): Response & TypedResponse<JSONParsed<T>, U, 'json'> {
  // The header as `c.json` writes it, so both answers are alike byte for byte. The type is
  // Hono's phantom one (`c.json` casts alike): nothing of it exists at run time.
  const response: Response = c.body(body, status, { 'Content-Type': 'application/json' })
  return response as Response & TypedResponse<JSONParsed<T>, U, 'json'>
}
