import { createHash, timingSafeEqual } from 'node:crypto'
import { streamsError } from './errors.ts'

const sha = (text: string) => createHash('sha256').update(text).digest()

/**
 * The media server's shared secret check: the secret arrives in the callback URL (neither
 * nginx-rtmp nor MediaMTX's hooks can add headers) and is compared in constant time, as hashes,
 * so its length leaks nothing either.
 * @example
 * const checkSecret = secretChecker(secrets.ingestSecret)
 * checkSecret(c.req.valid('param').secret) // throws ingest.forbidden
 */
export function secretChecker(secret: string): (presented: string) => void {
  const expected = sha(secret)
  return (presented) => {
    if (!timingSafeEqual(sha(presented), expected)) throw streamsError('ingest.forbidden', 'Not the media server')
  }
}
