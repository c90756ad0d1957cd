/**
 * `bun run events:replay` as scripts/events-replay.ts runs it, over the app's modules with the
 * test's follower projection in the place of the module it borrows the name of (analytics).
 */
import { modules } from '../../src/modules.ts'
import { replaySnapshotCommand } from '../../src/platform/events/snapshot-command.ts'
import { followerProjection, PROJECTION_MODULE } from '../split/follower-projection/index.ts'

process.exit(await replaySnapshotCommand(process.argv.slice(2), [...modules.filter((m) => m.name !== PROJECTION_MODULE), followerProjection()]))
