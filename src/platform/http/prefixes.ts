import { ConfigError } from '../config.ts'

/** One path prefix a module declares (`ModuleDefinition.prefixes`). */
export type PrefixClaim = { module: string; prefix: string }

/** Whether `path` is `prefix` or lies under it (`/api/users` holds `/api/users/1`, never `/api/usersx`). */
export const isUnder = (path: string, prefix: string): boolean =>
  path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47 /* / */)

/**
 * Refuses a prefix declared twice (by two modules, or one twice): nobody could say who
 * answers it. Nested prefixes are fine — the longest owns what is under it (Helix's
 * `/channels/vips` is chat's inside streams' `/channels`).
 *
 * @example checkPrefixes(definitions.flatMap((d) => d.prefixes.map((prefix) => ({ module: d.name, prefix }))))
 */
export function checkPrefixes(claims: readonly PrefixClaim[]): void {
  const owners = new Map<string, string>()
  for (const { module, prefix } of claims) {
    const owner = owners.get(prefix)
    if (owner !== undefined) throw new ConfigError(`${module}: prefix "${prefix}" is already declared by ${owner}`)
    owners.set(prefix, module)
  }
}

/**
 * The module owning a path or route template: the one with the longest declared prefix
 * holding it; undefined when no prefix does (the platform's own paths).
 *
 * @example prefixOwner([{ module: 'streams', prefix: '/api/channels' }, { module: 'chat', prefix: '/api/channels/vips' }])('/api/channels/vips') // 'chat'
 */
export function prefixOwner(claims: readonly PrefixClaim[]): (path: string) => string | undefined {
  const longestFirst = [...claims].sort((a, b) => b.prefix.length - a.prefix.length)
  return (path) => longestFirst.find(({ prefix }) => isUnder(path, prefix))?.module
}

/**
 * Like `prefixOwner`, but only for paths where two modules' prefixes nest (a prefix with
 * another module's inside it, or the one inside): only there can one module's routes match a
 * path another owns, so every other path skips the filtering (undefined).
 */
export function contestedOwner(claims: readonly PrefixClaim[]): ((path: string) => string | undefined) | undefined {
  const contested = claims.filter((a) =>
    claims.some((b) => a.module !== b.module && (isUnder(a.prefix, b.prefix) || isUnder(b.prefix, a.prefix))),
  )
  if (contested.length === 0) return undefined
  const ownerOf = prefixOwner(claims)
  return (path) => (contested.some(({ prefix }) => isUnder(path, prefix)) ? ownerOf(path) : undefined)
}
