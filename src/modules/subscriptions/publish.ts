import { subscriptionsEvents } from '../../contracts/subscriptions.ts'
import { publisher, statementPublisher } from '../../platform/events/publish.ts'

/** `publish(tx, type, payload)` for the subscriptions module's own events, checked against its contract. */
export const publish = publisher(subscriptionsEvents)

/** The same events written by the statement of their change, for paths without a transaction around it (a redemption). */
export const statementEvents = statementPublisher(subscriptionsEvents)
