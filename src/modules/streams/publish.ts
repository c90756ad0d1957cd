import { streamsEvents } from '../../contracts/streams.ts'
import { publisher } from '../../platform/events/publish.ts'

/** `publish(tx, type, payload)` for the streams module's own events, checked against its contract. */
export const publish = publisher(streamsEvents)
