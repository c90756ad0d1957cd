import postgres from 'postgres'

/** First key of every job lock (`pg_try_advisory_lock(int, int)`), so job locks share no key with others. */
const JOB_LOCKS = 0x6a6f62 // 'job'

export type AdvisoryLocks = {
  /** Takes `key`'s session lock if no other session holds it; true when this connection now holds it. */
  tryAcquire: (key: string) => Promise<boolean>
  /** Asks the server whether this connection still holds `key` (it does not after a reconnect). */
  holds: (key: string) => Promise<boolean>
  /** Lets `key` go (a stopping job), so a standby need not wait for the connection to close. */
  release: (key: string) => Promise<void>
  /** Calls `listener` as soon as the connection closes: every lock it held is gone. */
  onLost: (listener: () => void) => void
  /** Closes the connection, which releases its locks. */
  close: () => Promise<void>
}

/**
 * Session advisory locks on a connection of their own, so they are released when it dies —
 * the holding process killed with -9 included — and never by a pool handing the connection to
 * other work. postgres.js reconnects a lost connection silently, to a new session that holds
 * nothing: `onLost` fires on the close, and `holds` asks the server, before each run, whether
 * this session still has the lock.
 */
export function createAdvisoryLocks(url: string, name: string): AdvisoryLocks {
  const listeners: (() => void)[] = []
  const sql = postgres(url, {
    max: 1,
    // 0 turns both timers off: either would close the connection, and with it every lock.
    idle_timeout: 0,
    max_lifetime: 0,
    // A peer gone without a FIN (a cut network) is noticed within ~5 s plus the kernel's probes.
    keep_alive: 5,
    onnotice: () => {},
    onclose: () => {
      for (const listener of listeners) listener()
    },
    connection: { application_name: name },
  })
  return {
    async tryAcquire(key) {
      const [row] = await sql<{ acquired: boolean }[]>`select pg_try_advisory_lock(${JOB_LOCKS}, hashtext(${key})) as acquired`
      return row?.acquired === true
    },
    async holds(key) {
      // Session locks taken with two int4 keys show as classid, objid (as oid) and objsubid 2.
      const [row] = await sql<{ held: boolean }[]>`
        select exists(
          select 1 from pg_locks
          where locktype = 'advisory' and granted and pid = pg_backend_pid() and objsubid = 2
            and classid = ${JOB_LOCKS}::int::oid and objid = hashtext(${key})::oid) as held`
      return row?.held === true
    },
    async release(key) {
      await sql`select pg_advisory_unlock(${JOB_LOCKS}, hashtext(${key}))`
    },
    onLost: (listener) => void listeners.push(listener),
    close: () => sql.end({ timeout: 5 }),
  }
}
