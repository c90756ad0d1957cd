/**
 * `bun run events:replay` as scripts/events-replay.ts runs it, over the app's modules and the
 * test's follower projection: no module of the build consumes users' events yet.
 */
import { modules } from '../../src/modules.ts'
import { replaySnapshotCommand } from '../../src/platform/events/snapshot-command.ts'
import { followerProjection } from '../split/follower-projection/index.ts'

process.exit(await replaySnapshotCommand(process.argv.slice(2), [...modules, followerProjection()]))
