/**
 * The chat form of an access token. tmi.js lowercases the password it sends (`oauth:<token>`),
 * which breaks a JWT (base64url is case-sensitive); the same signed token in lowercase base32
 * (RFC 4648's alphabet, no padding) survives that, and any case, so every module still verifies
 * it locally with `verifyAccessToken` — expiry and revocations included — after `accessTokenOf`.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const VALUES = new Map([...ALPHABET].map((character, value) => [character, value]))

/**
 * The lowercase-safe form of `accessToken`, for `PASS oauth:<chat token>`.
 *
 * @example
 * const password = `oauth:${chatTokenOf(accessToken)}` // what a user pastes into tmi.js
 */
export function chatTokenOf(accessToken: string): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of new TextEncoder().encode(accessToken)) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/**
 * The access token inside a chat token, in any case; undefined when it is not one (then the
 * login fails as a bad token does). The result still has to pass `verifyAccessToken`.
 *
 * @example
 * const token = accessTokenOf(password.replace(/^oauth:/i, ''))
 * const claims = token === undefined ? undefined : await verifyAccessToken(token)
 */
export function accessTokenOf(chatToken: string): string | undefined {
  // An access token is a few hundred bytes; a longer password is no chat token.
  if (chatToken.length === 0 || chatToken.length > 8192) return undefined
  let bits = 0
  let value = 0
  const bytes: number[] = []
  for (const character of chatToken.toLowerCase()) {
    const digit = VALUES.get(character)
    if (digit === undefined) return undefined
    value = (value << 5) | digit
    bits += 5
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
    value &= (1 << bits) - 1
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes))
  } catch {
    return undefined
  }
}
