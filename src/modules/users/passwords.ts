import { dictionary } from '@zxcvbn-ts/language-common'

// zxcvbn-ts's list of passwords most seen in breaches (about 49 000, lowercase), shipped in
// the package: no network at start-up or at registration.
const COMMON = new Set(dictionary['passwords-common'])

/**
 * The password as it is hashed and compared: NFC, so the same text typed on a keyboard that
 * composes accents and on one that sends them as combining marks is the same password.
 *
 * @example normalizePassword('cafe\u0301') === 'caf\u00e9'
 */
export const normalizePassword = (password: string): string => password.normalize('NFC')

/**
 * Why `password` may not protect the account of `login` and `email`, or undefined when it may
 * (NIST SP 800-63B §3.1.1.2, ASVS 6.2.4 and 6.2.11, case-insensitive): one of the common
 * passwords; fewer than three different characters (`aaaaaaaa`, eight spaces); containing the
 * login, or the email's local part when that has four characters or more (shorter ones would
 * refuse half the dictionary). Length is the schema's own rule; composition rules there are none.
 *
 * @example passwordWeakness('Password', { login: 'twitchdev', email: 'dev@example.com' }) // 'is one of the most common passwords'
 */
export function passwordWeakness(password: string, account: { login: string; email: string }): string | undefined {
  const folded = normalizePassword(password).toLowerCase()
  if (COMMON.has(folded)) return 'is one of the most common passwords'
  if (new Set(folded).size < 3) return 'has fewer than 3 different characters'
  if (folded.includes(account.login.toLowerCase())) return 'must not contain the login'
  const local = account.email.slice(0, account.email.lastIndexOf('@')).toLowerCase()
  if (local.length >= 4 && folded.includes(local)) return "must not contain the email address's name"
  return undefined
}
