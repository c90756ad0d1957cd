import { resolve } from 'node:path'
import { subscriptionsEvents } from '../../contracts/subscriptions.ts'
import { createRouter } from '../../platform/http/router.ts'
import { defineModule } from '../../platform/module.ts'
import { channelPointsRoutes } from './channel-points.routes.ts'
import { earning } from './earning.ts'
import { subscriptionsSettings } from './environment.ts'
import { SUBSCRIPTIONS_PROBLEMS } from './errors.ts'
import { createGifting, giftFulfilment } from './gifts.ts'
import { giftRoutes } from './gifts.routes.ts'
import { pruneIdempotencyKeys } from './idempotency.ts'
import { createPayments } from './payments/index.ts'
import { createChannelPoints } from './points.ts'
import { profileProjection } from './profiles.ts'
import { createRedemptions } from './redemptions.ts'
import { renewals } from './renewals.ts'
import { createRewards } from './rewards.ts'
import { subscriptionsSnapshot } from './snapshot.ts'
import { createSubscribers } from './subscribers.ts'
import { continueSubscription, createSubscribing } from './subscribing.ts'
import { subscriptionFulfilment } from './subscriptions.ts'
import { subscriptionRoutes } from './subscriptions.routes.ts'
import { createTiers } from './tiers.ts'
import { tierRoutes } from './tiers.routes.ts'

/** How viewers support a channel and how it rewards them: tiers, subscriptions and gift subs, donations, channel points, custom rewards and redemptions. */
export const subscriptions = defineModule({
  name: 'subscriptions',
  prefixes: ['/api/channel-points', '/api/subscriptions'],
  migrations: resolve(import.meta.dir, '../../../migrations/subscriptions'),
  produces: subscriptionsEvents,
  snapshot: subscriptionsSnapshot,
  consumes: { ...earning, ...profileProjection },
  problems: SUBSCRIPTIONS_PROBLEMS,
  settings: subscriptionsSettings,
  create({ settings, database, authenticated, log, clock }) {
    const fulfilments = { subscription: subscriptionFulfilment(clock), gift: giftFulfilment(clock) }
    const payments = createPayments({ settings, database, log, authenticated, fulfilments, continuation: continueSubscription })
    const tiers = createTiers(database)
    const sales = { database, checkout: payments.checkout, tiers }
    const subscribing = createSubscribing({ ...sales, cards: payments.cards, stopSetups: payments.stopSetups })
    const stores = {
      rewards: createRewards(database, settings.SUBSCRIPTIONS_MAX_REWARDS_PER_CHANNEL),
      redemptions: createRedemptions(database),
      points: createChannelPoints(database),
    }
    return {
      routes: createRouter()
        .route('/', channelPointsRoutes(stores, authenticated))
        .route('/', tierRoutes(tiers, authenticated))
        .route('/', subscriptionRoutes({ subscribing, subscribers: createSubscribers(database), tiers }, authenticated))
        .route('/', giftRoutes(createGifting(sales), authenticated))
        .route('/', payments.routes),
      jobs: [
        { name: 'idempotency-keys', everyMs: 3_600_000, singleton: true, run: async () => void (await pruneIdempotencyKeys(database)) },
        {
          name: 'renewals',
          everyMs: settings.SUBSCRIPTIONS_RENEWALS_EVERY_MS,
          singleton: true,
          run: renewals({ database, charge: payments.charge, tiers, clock, log: log.child({ job: 'renewals' }) }),
        },
        ...payments.jobs,
      ],
    }
  },
})
