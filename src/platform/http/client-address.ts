import type { Context } from 'hono'
import { isIP } from 'node:net'

// `[2001:db8::1]:443`, `[2001:db8::1]` and `192.0.2.1:443`: the forms proxies that add a port write.
const BRACKETED = /^\[([^\]]+)\](?::\d{1,5})?$/
const WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/
// A dual-stack listener (`HOST=::`) sees an IPv4 peer as `::ffff:192.0.2.1`.
const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/** `text` as one canonical address, or undefined when it is none (garbage, a name, a list). */
function parseAddress(text: string): string | undefined {
  const trimmed = text.trim()
  const host = BRACKETED.exec(trimmed)?.[1] ?? WITH_PORT.exec(trimmed)?.[1] ?? trimmed
  const family = isIP(host)
  if (family === 4) return host
  if (family !== 6) return undefined
  const v6 = host.toLowerCase()
  return MAPPED_V4.exec(v6)?.[1] ?? v6
}

/**
 * The caller's address, as rate limits key it and sessions record it. Without `trustProxy` it is
 * the socket's peer, whatever the headers say. Behind the gateway (`TRUST_PROXY`) it is the
 * right-most X-Forwarded-For entry, the one the proxy in front of us wrote: the gateway replaces
 * the header with its peer's address, and a proxy that appends instead leaves whatever the client
 * sent to the left of its own entry. An entry that is no address (garbage, a request that reached
 * the app without the proxy) is not believed: the peer is used.
 *
 * @example
 * const address = clientAddress(c, config.trustProxy) // '203.0.113.9', '2001:db8::1' or 'unknown'
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  // The platform's `c.env` is its RequestScope (holding the server); a bare Hono app's, the server.
  const env: unknown = c.env
  const server = env !== null && typeof env === 'object' && 'server' in env ? env.server : env
  return requestAddress(c.req.raw, server, trustProxy)
}

/** `clientAddress` of a request served by Bun's `server` (a native route's, outside Hono). */
export function requestAddress(request: Request, server: unknown, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = parseAddress(request.headers.get('x-forwarded-for')?.split(',').at(-1) ?? '')
    if (forwarded) return forwarded
  }
  // app.request() in tests has no socket behind it.
  const peer = isBunServer(server) ? server.requestIP(request)?.address : undefined
  return (peer && parseAddress(peer)) ?? 'unknown'
}

const isBunServer = (server: unknown): server is { requestIP: (request: Request) => { address: string } | null } =>
  typeof (server as { requestIP?: unknown } | undefined)?.requestIP === 'function'

/** The first four groups (the /64) of a canonical IPv6 address, `::` expanded. */
function prefix64(v6: string): string {
  const [head = '', tail] = v6.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  // An embedded IPv4 tail (`::1.2.3.4`) is two groups, but lies in the last 64 bits anyway.
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')
}

/**
 * What per-address rate limits key a `clientAddress` by: an IPv4 address itself, an IPv6 one by
 * its /64 (`2001:db8:1:2::/64`), since a single subscriber is routinely handed a whole /64 and
 * could otherwise take a fresh window with every address in it. Anything else (`'unknown'`) is
 * returned as it is. Sessions keep recording the full address.
 *
 * @example
 * rateLimit(limiter, rule, (c) => rateLimitKey(clientAddress(c, trustProxy)))
 * rateLimitKey('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 * rateLimitKey('203.0.113.9')          // '203.0.113.9'
 */
export function rateLimitKey(address: string): string {
  return isIP(address) === 6 ? `${prefix64(address.toLowerCase())}::/64` : address
}
