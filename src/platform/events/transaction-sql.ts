import type { TransactionSql } from 'postgres'
import type { Transaction } from './types.ts'

/**
 * The postgres.js transaction a drizzle transaction runs on. The event machinery's own
 * statements go through it: drizzle builds a statement's SQL anew on every call, which cost
 * more than the round trip itself on the hot paths (publish, inbox). drizzle keeps the client
 * on its session without typing it; a drizzle upgrade that moves it fails here, loudly.
 */
export function transactionSql(tx: Transaction): TransactionSql {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client
  if (typeof client !== 'function') throw new Error('drizzle transaction without a postgres.js client (session.client)')
  return client as TransactionSql
}
