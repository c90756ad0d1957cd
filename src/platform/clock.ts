/**
 * The time as the platform tells it to modules: the system's, or one a test moves, so work
 * that depends on the date (a subscription's renewal in 30 days) is tested without waiting.
 * @example
 * create: ({ clock }) => ({ routes, jobs: [{ name: 'renewals', everyMs: 60_000, singleton: true, run: () => renewDue(database, clock()) }] })
 */
export type Clock = () => Date

/** The system's clock. */
export const systemClock: Clock = () => new Date()
