import fc from 'fast-check'

/**
 * fast-check arbitraries for the fuzz tests over a module's routes (with `harmOf`): request
 * bodies and path or query ids a hostile or careless client sends.
 */

/**
 * A body: a near miss of the route's own shape (`nearMiss`, JSON-encoded), any JSON, any text, or nothing.
 * @example
 * const body = hostileBody(fc.record({ text: fc.string() }, { requiredKeys: [] }))
 */
export function hostileBody(nearMiss: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    nearMiss.map((value) => JSON.stringify(value)),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 200 }),
    fc.constant(''),
  )
}

/**
 * An id for a path or query: any text (URL-encoded), integers past a bigint's range either way,
 * uuids, the usual suspects (`0`, `1e3`, `%00`, 2^63), and the `known` ids the test's rows have.
 * @example
 * const id = hostileId(owner.id, viewer.id)
 */
export function hostileId(...known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
    fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
    fc.uuid(),
    fc.constantFrom(...known, '0', '-1', '1e3', '%00', 'NaN', '9223372036854775808'),
  )
}
