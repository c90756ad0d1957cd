import postgres from 'postgres'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config.ts'
import { withEmbeddedDatabases } from '../db/embedded-postgres.ts'
import { applyMigrations } from '../db/migrate.ts'
import type { ModuleDefinition } from '../module.ts'
import { snapshotPairs } from './snapshot-bootstrap.ts'
import { writeSnapshot } from './snapshot.ts'

const USAGE = 'usage: bun run events:replay --from <producer> --to <consumer>'

/** A mistake in the command line: said in one line, exit code 2. */
class UsageError extends Error {}

/** The producer, the consumer and the types one takes from the other, or why the command line is wrong. */
function pairFromArguments(argv: string[], definitions: ModuleDefinition[]) {
  let values: { from?: string; to?: string }
  try {
    ;({ values } = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' } }, strict: true }))
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`)
  }
  if (!values.from || !values.to) throw new UsageError(USAGE)
  const names = definitions.map((d) => d.name).join(', ')
  const find = (flag: string, name: string) => {
    const found = definitions.find((d) => d.name === name)
    if (!found) throw new UsageError(`--${flag} ${name}: no such module (this build has ${names})`)
    return found
  }
  const producer = find('from', values.from)
  const consumer = find('to', values.to)
  if (!producer.snapshot) throw new UsageError(`--from ${producer.name}: the module declares no snapshot`)
  const [pair] = snapshotPairs([consumer], [producer])
  if (!pair) throw new UsageError(`--to ${consumer.name}: consumes no event of ${producer.name}`)
  return pair
}

/**
 * `bun run events:replay --from users --to streams`: writes the producer's snapshot into its own
 * outbox, targeted at the consumer, with the configuration `bun start` uses (the embedded
 * default included); the relays of the running app publish it. Returns the exit code.
 *
 * @example
 * // scripts/events-replay.ts
 * process.exit(await replaySnapshotCommand(process.argv.slice(2), modules))
 */
export async function replaySnapshotCommand(argv: string[], definitions: ModuleDefinition[]): Promise<number> {
  try {
    const { producer, consumer, types } = pairFromArguments(argv, definitions)
    const { config, embedded } = await withEmbeddedDatabases({ ...loadConfig(), modules: [producer.name] })
    try {
      const url = config.databaseUrls[producer.name] ?? ''
      await applyMigrations(producer.name, url, producer.migrations)
      const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'ondes-events-replay' } })
      try {
        const started = performance.now()
        const events = await writeSnapshot({ producer, sql, consumer: consumer.name, types })
        const seconds = ((performance.now() - started) / 1000).toFixed(1)
        console.log(
          `events:replay: ${events} events of ${producer.name} (${types.join(', ')}) written to its outbox for ${consumer.name} in ${seconds} s; the running relays publish them`,
        )
      } finally {
        await sql.end()
      }
    } finally {
      // Leave a server the running app uses alone; stop one this command started.
      if (embedded && !embedded.adopted) await embedded.stop()
    }
    return 0
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`events:replay: ${error.message}`)
      return 2
    }
    console.error(error instanceof ConfigError ? `events:replay: configuration error: ${error.message}` : error)
    return 1
  }
}
