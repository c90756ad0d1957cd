import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { CursorPart, decodeCursor, listEnvelope, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText } from '../../platform/http/text.ts'
import { subscriptionsError } from './errors.ts'
import { IdempotencyKeyHeader } from './idempotency.ts'
import { ownChannel } from './ownership.ts'
import { UserId, Uuid } from './ids.ts'
import type { ChannelPoints } from './points.ts'
import type { Redemptions } from './redemptions.ts'
import { data, json } from './responses.ts'
import { CustomRewardView, rewardFields, rewardSettings, rewardView } from './reward-view.ts'
import type { RewardSettings, Rewards } from './rewards.ts'

const REWARDS = '/api/channel-points/custom-rewards'
const REDEMPTIONS = `${REWARDS}/redemptions`

const Status = z.enum(['UNFULFILLED', 'FULFILLED', 'CANCELED'])
const RedemptionView = z
  .object({
    id: z.string(),
    broadcaster_id: z.string(),
    user_id: z.string(),
    user_input: z.string(),
    status: Status,
    redeemed_at: z.string(),
    reward: z.object({ id: z.string(), title: z.string(), prompt: z.string(), cost: z.number().int() }),
  })
  .openapi('Redemption')
const Balance = z.object({ broadcaster_id: z.string(), user_id: z.string(), balance: z.number().int() }).openapi('ChannelPointsBalance')

const channel = z.object({ broadcaster_id: UserId })
const oneReward = channel.extend({ id: Uuid })
// Helix: title and cost are required, every other setting has a default.
const CreateReward = z.strictObject(rewardFields).partial().required({ title: true, cost: true })
const UpdateReward = z.strictObject(rewardFields).partial()

/** Custom rewards, redemptions and balances, laid out as Helix's channel points endpoints. */
export function channelPointsRoutes(
  stores: { rewards: Rewards; redemptions: Redemptions; points: ChannelPoints },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { rewards, redemptions, points } = stores
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const tags = ['channel points']

  router.openapi(
    route({
      auth: 'required',
      operationId: 'createCustomReward',
      method: 'post',
      path: REWARDS,
      tags,
      summary: 'Create a custom reward in your channel',
      bodyLimit: 8 * 1024,
      request: { query: channel, body: { content: { 'application/json': { schema: CreateReward } }, required: true } },
      responses: { 201: json(data(CustomRewardView), 'The reward'), ...problemResponses(400, 403, 409) },
    }),
    async (c) => {
      const broadcasterId = ownChannel(c.var.auth.userId, c.req.valid('query').broadcaster_id)
      const reward = await rewards.create(broadcasterId, rewardSettings(c.req.valid('json')) as RewardSettings)
      return c.json({ data: [rewardView(reward)] }, 201)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'updateCustomReward',
      method: 'patch',
      path: REWARDS,
      tags,
      summary: 'Change some settings of one of your rewards',
      bodyLimit: 8 * 1024,
      request: { query: oneReward, body: { content: { 'application/json': { schema: UpdateReward } }, required: true } },
      responses: { 200: json(data(CustomRewardView), 'The reward as it now is'), ...problemResponses(400, 403, 404, 409) },
    }),
    async (c) => {
      const { broadcaster_id, id } = c.req.valid('query')
      const reward = await rewards.update(ownChannel(c.var.auth.userId, broadcaster_id), id, rewardSettings(c.req.valid('json')))
      return c.json({ data: [rewardView(reward)] }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'deleteCustomReward',
      method: 'delete',
      path: REWARDS,
      tags,
      summary: 'Delete one of your rewards (its redemptions stay)',
      request: { query: oneReward },
      responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id, id } = c.req.valid('query')
      if (!(await rewards.remove(ownChannel(c.var.auth.userId, broadcaster_id), id))) {
        throw subscriptionsError('reward.not_found', 'The channel has no reward with this id')
      }
      return c.body(null, 204)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'listCustomRewards',
      method: 'get',
      path: REWARDS,
      tags,
      // Public, unlike Helix's: viewers choose what to redeem from it.
      summary: "A channel's custom rewards, oldest first",
      request: { query: channel.extend({ id: Uuid.optional() }) },
      responses: { 200: json(data(CustomRewardView), 'The rewards'), ...problemResponses(400) },
    }),
    async (c) => {
      const { broadcaster_id, id } = c.req.valid('query')
      const list = await rewards.list(broadcaster_id, id ? [id] : undefined)
      return c.json({ data: list.map(rewardView) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'redeemCustomReward',
      method: 'post',
      path: REDEMPTIONS,
      tags,
      summary: "Redeem a reward with your points in the channel",
      bodyLimit: 4 * 1024,
      request: {
        query: channel.extend({ reward_id: Uuid }),
        headers: IdempotencyKeyHeader,
        body: {
          content: { 'application/json': { schema: z.strictObject({ user_input: safeText({ max: 200 }).optional() }) } },
          required: true,
        },
      },
      responses: { 201: json(data(RedemptionView), 'The redemption (the first one, for a retried Idempotency-Key)'), ...problemResponses(400, 404, 409, 422) },
    }),
    async (c) => {
      const { broadcaster_id, reward_id } = c.req.valid('query')
      const { redemption, replayed } = await redemptions.redeem(
        { broadcasterId: broadcaster_id, rewardId: reward_id, userId: c.var.auth.userId, userInput: c.req.valid('json').user_input ?? '' },
        c.req.valid('header')['idempotency-key'],
      )
      // Stripe's name for it: the client learns this answer is the stored one.
      if (replayed) c.header('Idempotent-Replayed', 'true')
      return c.json({ data: [redemption] }, 201)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'updateRedemptionStatus',
      method: 'patch',
      path: REDEMPTIONS,
      tags,
      summary: 'Fulfill or cancel (refunding) UNFULFILLED redemptions of one of your rewards',
      bodyLimit: 1024,
      request: {
        query: channel.extend({ reward_id: Uuid, id: Uuid }),
        body: { content: { 'application/json': { schema: z.strictObject({ status: z.enum(['FULFILLED', 'CANCELED']) }) } }, required: true },
      },
      responses: { 200: json(data(RedemptionView), 'The redemptions as they now are'), ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id, reward_id, id } = c.req.valid('query')
      const broadcasterId = ownChannel(c.var.auth.userId, broadcaster_id)
      const updated = await redemptions.updateStatus(broadcasterId, reward_id, [id], c.req.valid('json').status)
      return c.json({ data: updated }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'listRedemptions',
      method: 'get',
      path: REDEMPTIONS,
      tags,
      summary: "One of your rewards' redemptions, in a status or by id",
      request: {
        query: pageQuery.extend({
          broadcaster_id: UserId,
          reward_id: Uuid,
          status: Status.optional(),
          id: Uuid.optional(),
          sort: z.enum(['OLDEST', 'NEWEST']).default('OLDEST'),
        }),
      },
      responses: { 200: json(listEnvelope(RedemptionView), 'The redemptions'), ...problemResponses(400, 403) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const rows = await redemptions.list({
        broadcasterId: ownChannel(c.var.auth.userId, query.broadcaster_id),
        rewardId: query.reward_id,
        status: query.status,
        ids: query.id ? [query.id] : undefined,
        newestFirst: query.sort === 'NEWEST',
        first: query.first,
        after: decodeCursor(query.after, [CursorPart.timestamp, Uuid]),
      })
      const page = toPage(rows, query.first, ({ cursorAt: _, ...redemption }) => redemption, (row) => [row.cursorAt, row.id])
      return c.json(page, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getChannelPointsBalance',
      method: 'get',
      path: '/api/channel-points/balance',
      tags,
      summary: 'Your channel points in a channel',
      request: { query: channel },
      responses: { 200: json(data(Balance), 'The balance'), ...problemResponses(400) },
    }),
    async (c) => {
      const { broadcaster_id } = c.req.valid('query')
      const balance = await points.balanceOf(broadcaster_id, c.var.auth.userId)
      return c.json({ data: [{ broadcaster_id, user_id: c.var.auth.userId, balance }] }, 200)
    },
  )

  return router
}
