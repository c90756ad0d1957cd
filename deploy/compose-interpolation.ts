/**
 * Compose's variable interpolation, for tests that check docker-compose.yml without a Docker
 * engine: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+other}`, `${VAR+other}`. Like compose, a required variable that is
 * missing (or empty, for `:?`) stops it with the variable's name and the file's message.
 */

const EXPRESSION = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g

export class MissingVariable extends Error {
  override name = 'MissingVariable'
}

/**
 * The value compose would use for `value` with `env` set (the shell and .env together).
 *
 * @example interpolate('redis://:${REDIS_PASSWORD:?see .env.example}@redis:6379', { REDIS_PASSWORD: 's' }) // 'redis://:s@redis:6379'
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(EXPRESSION, (whole, braced?: string, operator?: string, argument = '', bare?: string) => {
    if (whole === '$$') return '$'
    const name = (braced ?? bare) as string
    const current = env[name]
    const set = current !== undefined
    const nonEmpty = set && current !== ''
    switch (operator) {
      case ':-':
        return nonEmpty ? current : argument
      case '-':
        return set ? current : argument
      case ':+':
        return nonEmpty ? argument : ''
      case '+':
        return set ? argument : ''
      case ':?':
      case '?':
        if (operator === ':?' ? !nonEmpty : !set) throw new MissingVariable(`required variable ${name} is missing a value: ${argument}`)
        return current as string
      default:
        return current ?? ''
    }
  })
}

/**
 * Every `${…}` expression in `value`, with its variable and operator (`''` for a plain `${VAR}` or `$VAR`).
 *
 * @example referencedVariables('${A:?x} $B') // [{ name: 'A', operator: ':?' }, { name: 'B', operator: '' }]
 */
export function referencedVariables(value: string): Array<{ name: string; operator: string }> {
  return [...value.matchAll(EXPRESSION)]
    .filter((match) => match[0] !== '$$')
    .map((match) => ({ name: (match[1] ?? match[4]) as string, operator: match[2] ?? '' }))
}
