/**
 * The chat form of an access token. tmi.js lowercases the password it sends (`oauth:<token>`),
 * which breaks a JWT (base64url is case-sensitive); the same signed token in hexadecimal survives
 * that, and any case, so every module still verifies it locally with `verifyAccessToken` —
 * expiry and revocations included — after `accessTokenOf`. Hex rather than base32: twice the
 * length, but Buffer's own codec instead of one of ours.
 */

/** An access token is a few hundred bytes; a longer password is no chat token. */
const MAX_LENGTH = 8192
const HEX = /^(?:[0-9a-f]{2})+$/i

/**
 * The lowercase-safe form of `accessToken`, for `PASS oauth:<chat token>`.
 *
 * @example
 * const password = `oauth:${chatTokenOf(accessToken)}` // what a user pastes into tmi.js
 */
export function chatTokenOf(accessToken: string): string {
  return Buffer.from(accessToken, 'utf8').toString('hex')
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
  if (chatToken.length > MAX_LENGTH || !HEX.test(chatToken)) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(chatToken, 'hex'))
  } catch {
    return undefined
  }
}
