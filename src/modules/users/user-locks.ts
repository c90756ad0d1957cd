import { inArray } from 'drizzle-orm'
import type { Transaction } from '../../platform/events/types.ts'
import { usersError } from './errors.ts'
import { type UserId, users } from './schema.ts'

/**
 * Locks the target and the acting user (`by`, from a token that may outlive its account) against
 * deletion until the commit, so no foreign key can fail later; false when the target is missing,
 * `account.gone` when the actor is.
 */
export async function lockUsers(tx: Transaction, userId: UserId, by: UserId | null): Promise<boolean> {
  const ids = [BigInt(userId), ...(by === null ? [] : [BigInt(by)])]
  const found = await tx.select({ id: users.id }).from(users).where(inArray(users.id, ids)).for('key share')
  const has = (id: UserId) => found.some((row) => row.id === BigInt(id))
  if (by !== null && !has(by)) throw usersError('account.gone', 'This account no longer exists')
  return has(userId)
}

/**
 * Locks the user's row until the commit and reads its suspension as it then is. A suspension and
 * an admin grant both take this lock before they check the other (an admin is never suspended),
 * so of two racing, the second waits and sees the first's outcome. Undefined when there is no
 * such user.
 */
export async function lockSuspension(tx: Transaction, userId: UserId): Promise<{ suspendedAt: Date | null; endsAt: Date | null } | undefined> {
  const [row] = await tx.sql<{ suspended_at: Date | null; suspension_ends_at: Date | null }[]>`
    select suspended_at, suspension_ends_at from users where id = ${userId} for no key update`
  return row && { suspendedAt: row.suspended_at, endsAt: row.suspension_ends_at }
}
