/**
 * Replays a producer's current state to one consuming module that joined late (DESIGN §6):
 * `bun run events:replay --from users --to streams`. Uses the same configuration as `bun start`
 * and may run beside it: it only writes into the producer's outbox, which the app's relays publish.
 */
import { modules } from '../src/modules.ts'
import { replaySnapshotCommand } from '../src/platform/events/snapshot-command.ts'

process.exit(await replaySnapshotCommand(process.argv.slice(2), modules))
