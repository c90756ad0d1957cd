import { subscriptionsEvents } from '../../contracts/subscriptions.ts'
import { publisher } from '../../platform/events/publish.ts'

/** `publish(tx, type, payload)` for the subscriptions module's own events, checked against its contract. */
export const publish = publisher(subscriptionsEvents)
