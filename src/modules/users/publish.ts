import { usersEvents } from '../../contracts/users.ts'
import { publisher } from '../../platform/events/publish.ts'

/** `publish(tx, type, payload)` for the users module's own events, checked against its contract. */
export const publish = publisher(usersEvents)
