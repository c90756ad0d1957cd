import { z } from '@hono/zod-openapi'

// Characters a reader of someone else's text cannot see, or that change what they see:
// C0 controls (NUL fails in Postgres besides), DEL, C1, the line and paragraph separators;
// bidirectional marks, embeddings, overrides and isolates (the "Trojan Source" reordering);
// zero-width spaces and joiners, the word joiner and the byte order mark (impersonation by
// look-alike names). Tab and line feed are text in multi-line fields only.
const HIDDEN: { name: string; pattern: RegExp }[] = [
  { name: 'a control character', pattern: /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029]/ },
  { name: 'a bidirectional control character', pattern: /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/ },
  { name: 'a zero-width character', pattern: /[\u200B-\u200D\u2060\uFEFF]/ },
]
const LINE_BREAK_OR_TAB = /[\t\n]/

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`

/**
 * Why `value` is not acceptable as user-visible text, or undefined when it is.
 *
 * @example
 * hiddenCharacter('evil\u202Etxt.exe') // 'contains a bidirectional control character (U+202E)'
 * hiddenCharacter('line one\nline two', { multiline: true }) // undefined
 */
export function hiddenCharacter(value: string, options: { multiline?: boolean } = {}): string | undefined {
  if (!value.isWellFormed()) return 'is not well-formed Unicode (a lone surrogate)'
  for (const { name, pattern } of HIDDEN) {
    const found = pattern.exec(value)?.[0]
    if (found !== undefined) return `contains ${name} (${codePoint(found)})`
  }
  const breaking = options.multiline ? undefined : LINE_BREAK_OR_TAB.exec(value)?.[0]
  return breaking === undefined ? undefined : `contains a control character (${codePoint(breaking)}); this field is one line`
}

/**
 * `schema` (any string schema: a regex, an email) refusing hidden characters with a message
 * naming the character; the router's 400 names the field. Every field whose text another user
 * may see, or that reaches a query, goes through this or `safeText`.
 *
 * @example
 * const Email = withSafeText(z.email().max(254))
 */
export function withSafeText<T extends z.ZodType<string>>(schema: T, options: { multiline?: boolean } = {}): T {
  return schema.superRefine((value, ctx) => {
    const reason = hiddenCharacter(value, options)
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason })
  }) as T
}

/**
 * A free text field of at most `max` characters (and at least `min`), without hidden
 * characters; `multiline` lets tabs and line feeds in (a bio, a stream title does not).
 *
 * @example
 * const ProfileUpdate = z.strictObject({ description: safeText({ max: 300, multiline: true }).optional() })
 */
export function safeText(options: { max: number; min?: number; multiline?: boolean }): z.ZodString {
  const bounded = z
    .string()
    .min(options.min ?? 0)
    .max(options.max)
  return withSafeText(bounded, options)
}
