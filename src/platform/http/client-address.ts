import type { Context } from 'hono'
import { getConnInfo } from 'hono/bun'
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
  if (trustProxy) {
    const forwarded = parseAddress(c.req.header('x-forwarded-for')?.split(',').at(-1) ?? '')
    if (forwarded) return forwarded
  }
  try {
    const peer = getConnInfo(c).remote.address
    return (peer && parseAddress(peer)) ?? 'unknown'
  } catch {
    // app.request() in tests has no socket behind it.
    return 'unknown'
  }
}
