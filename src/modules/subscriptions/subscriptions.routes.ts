import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, listEnvelope, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText } from '../../platform/http/text.ts'
import { subscriptionsError } from './errors.ts'
import { RequiredIdempotencyKeyHeader } from './idempotency.ts'
import { UserId } from './ids.ts'
import { ownChannel } from './ownership.ts'
import { CardSetupView, PaymentView, type CardSetupAnswer, type PaymentAnswer } from './payments/index.ts'
import { data, json } from './responses.ts'
import type { Subscribers } from './subscribers.ts'
import { CONTINUED, SAVING_CARD, type Subscribing } from './subscribing.ts'
import {
  BroadcasterSubscriptionView,
  broadcasterSubscriptionView,
  OwnSubscriptionView,
  ownSubscriptionView,
  UserSubscriptionView,
  userSubscriptionView,
} from './subscription-view.ts'
import { TIERS, type Tiers } from './tiers.ts'

const SUBSCRIPTIONS = '/api/subscriptions'
const channel = z.object({ broadcaster_id: UserId })
const Subscribe = z.strictObject({
  broadcaster_id: UserId,
  tier: z.enum(TIERS),
  /** The sub message shared in chat. */
  message: safeText({ max: 500 }).default(''),
})

/** Subscribing, cancelling and changing tier (the viewer's), the channel's subscribers (its broadcaster's), Helix's check. */
export function subscriptionRoutes(
  parts: { subscribing: Subscribing; subscribers: Subscribers; tiers: Tiers },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { subscribing, subscribers, tiers } = parts
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const tags = ['subscriptions']
  const own = async (broadcasterId: string, userId: string) => {
    const row = await subscribers.ofUser(broadcasterId, userId)
    if (!row) throw subscriptionsError('subscription.not_found', 'You have no active subscription to this channel')
    return ownSubscriptionView(row)
  }

  router.openapi(
    route({
      auth: 'required',
      operationId: 'createSubscription',
      method: 'post',
      path: SUBSCRIPTIONS,
      tags,
      summary: 'Subscribe to a channel (dev: paid at once; Stripe: pay on checkout_url), or have a canceled or gifted one renew again',
      bodyLimit: 4 * 1024,
      request: { headers: RequiredIdempotencyKeyHeader, body: { content: { 'application/json': { schema: Subscribe } }, required: true } },
      responses: {
        201: json(data(PaymentView), 'The payment of the first period (the first answer, for a retried Idempotency-Key)'),
        200: json(data(OwnSubscriptionView), 'Already subscribed: it renews again at its period end, at this tier from then'),
        202: json(data(CardSetupView), 'Already subscribed, with no card on file to renew with (a gift): it renews once one is saved at checkout_url'),
        ...problemResponses(400, 404, 409, 422, 502),
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const userId = c.var.auth.userId
      const { answer, replayed } = await subscribing.subscribe(
        userId,
        { broadcasterId: body.broadcaster_id, tier: body.tier, message: body.message },
        c.req.valid('header')['idempotency-key'],
      )
      if (replayed) c.header('Idempotent-Replayed', 'true')
      if (answer.status === CONTINUED) return c.json({ data: [await own(body.broadcaster_id, userId)] }, 200)
      if (answer.status === SAVING_CARD) return c.json(answer.body as { data: CardSetupAnswer[] }, 202)
      return c.json(answer.body as { data: PaymentAnswer[] }, 201)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'updateSubscription',
      method: 'patch',
      path: SUBSCRIPTIONS,
      tags,
      summary: 'Upgrade or downgrade your subscription from its next period',
      bodyLimit: 1024,
      request: { query: channel, body: { content: { 'application/json': { schema: z.strictObject({ tier: z.enum(TIERS) }) } }, required: true } },
      responses: { 200: json(data(OwnSubscriptionView), 'Your subscription, with next_tier'), ...problemResponses(400, 404) },
    }),
    async (c) => {
      const { broadcaster_id } = c.req.valid('query')
      await subscribing.changeTier(c.var.auth.userId, broadcaster_id, c.req.valid('json').tier)
      return c.json({ data: [await own(broadcaster_id, c.var.auth.userId)] }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'cancelSubscription',
      method: 'delete',
      path: SUBSCRIPTIONS,
      tags,
      summary: 'Cancel your subscription: it does not renew, access lasts until current_period_end',
      request: { query: channel },
      responses: { 200: json(data(OwnSubscriptionView), 'Your subscription, renews false'), ...problemResponses(400, 404) },
    }),
    async (c) => {
      const { broadcaster_id } = c.req.valid('query')
      await subscribing.cancel(c.var.auth.userId, broadcaster_id)
      return c.json({ data: [await own(broadcaster_id, c.var.auth.userId)] }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getBroadcasterSubscriptions',
      method: 'get',
      path: SUBSCRIPTIONS,
      tags,
      summary: "Your channel's subscribers, with Helix's total and points (1, 2, 6 per tier)",
      request: { query: channel.extend(pageQuery.shape) },
      responses: {
        200: json(listEnvelope(BroadcasterSubscriptionView).extend({ total: z.number().int(), points: z.number().int() }), 'A page of subscribers'),
        ...problemResponses(400, 403),
      },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const broadcasterId = ownChannel(c.var.auth.userId, query.broadcaster_id)
      const [after] = decodeCursor(query.after, [UserId]) ?? []
      const [page, prices] = await Promise.all([subscribers.ofChannel(broadcasterId, query.first, after), tiers.tiersOf(broadcasterId)])
      const body = toPage(page.rows, query.first, (row) => broadcasterSubscriptionView(row, prices), (row) => [row.user_id])
      return c.json({ ...body, total: page.total, points: page.points }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'checkUserSubscription',
      method: 'get',
      path: `${SUBSCRIPTIONS}/user`,
      tags,
      summary: 'Whether you subscribe to a channel (Helix: 404 when you do not)',
      request: { query: channel.extend({ user_id: UserId }) },
      responses: { 200: json(data(UserSubscriptionView), 'Your subscription'), ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id, user_id } = c.req.valid('query')
      if (user_id !== c.var.auth.userId) throw subscriptionsError('subscription.not_yours', 'user_id must be your own')
      const row = await subscribers.ofUser(broadcaster_id, user_id)
      if (!row) throw subscriptionsError('subscription.not_found', 'You do not subscribe to this channel')
      return c.json({ data: [userSubscriptionView(row)] }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'listOwnSubscriptions',
      method: 'get',
      path: `${SUBSCRIPTIONS}/me`,
      tags,
      summary: 'Your subscriptions, active and ended, by channel',
      request: { query: pageQuery },
      responses: { 200: json(listEnvelope(OwnSubscriptionView), 'A page of your subscriptions'), ...problemResponses(400) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const [after] = decodeCursor(query.after, [UserId]) ?? []
      const rows = await subscribers.mine(c.var.auth.userId, query.first, after)
      return c.json(toPage(rows, query.first, ownSubscriptionView, (row) => [row.broadcaster_id]), 200)
    },
  )

  return router
}
