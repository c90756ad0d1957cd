import type { MiddlewareHandler } from 'hono'
import type { Registry } from 'prom-client'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { createRouter } from '../../platform/http/router.ts'
import type { Job } from '../../platform/jobs/job.ts'
import type { ModulePubSub } from '../../platform/pubsub/types.ts'
import type { RateLimiter } from '../../platform/rate-limit.ts'
import { createBans } from './bans.ts'
import { createBlockedTerms } from './blocked-terms.ts'
import { createChatRoles } from './chat-roles.ts'
import type { ChatServices } from './chat-services.ts'
import type { ChatUsers } from './chat-users.ts'
import { createCommands } from './commands/index.ts'
import type { Fanout } from './fanout.ts'
import { createFollows } from './follows.ts'
import { banRoutes } from './moderation-bans.routes.ts'
import { moderationRequests } from './moderation-requests.ts'
import { roleRoutes } from './moderation-roles.routes.ts'
import { moderationRoutes } from './moderation.routes.ts'
import { createModeration } from './moderation.ts'
import { createRecentMessages } from './recent-messages.ts'
import { createRoomSettings, roomstateLine } from './room-settings.ts'
import { createMessageRules } from './rules.ts'
import { settingsRoutes } from './settings.routes.ts'

/**
 * What moderation adds to the chat module: its stores, the connection's collaborators it
 * answers for (room state on join, roles, the message rules, commands, recent messages), its
 * REST routes and the job that prunes ended timeouts.
 *
 * @example
 * const moderation = createChatModeration({ database, pubsub, fanout, rateLimiter, users, registry, authenticated, storeIntervalMs })
 * const services = { ...defaultServices, ...moderation.services }
 */
export function createChatModeration(deps: {
  database: ModuleDatabase
  pubsub: ModulePubSub
  fanout: Fanout
  rateLimiter: RateLimiter
  users: ChatUsers
  registry: Registry
  authenticated: MiddlewareHandler<AppEnv>
  storeIntervalMs: number
}) {
  const { database, pubsub, fanout, users, authenticated } = deps
  const roles = createChatRoles(database, pubsub)
  const bans = createBans(database)
  const settings = createRoomSettings(database, pubsub)
  const terms = createBlockedTerms(database, pubsub)
  const recent = createRecentMessages()
  const rules = createMessageRules({ bans, settings, terms, follows: createFollows(database), rateLimiter: deps.rateLimiter })
  const moderation = createModeration({ database, roles, bans, settings, terms, recent, fanout, registry: deps.registry, storeIntervalMs: deps.storeIntervalMs })
  const requests = moderationRequests(users)

  const services = {
    roomstate: async (channelLogin, broadcasterId) => roomstateLine(channelLogin, broadcasterId, await settings.get(broadcasterId)),
    roles: roles.of,
    chatDelay: async (broadcasterId) => (await settings.get(broadcasterId)).nonModeratorChatDelayDuration ?? 0,
    checkMessage: rules.checkMessage,
    runCommand: createCommands({ moderation, users, roles, settings }),
    remember: recent.remember,
    findRecent: recent.find,
  } satisfies Partial<ChatServices>

  const routes = createRouter()
    .route('/', settingsRoutes({ moderation, settings, requests }, authenticated))
    .route('/', banRoutes({ moderation, bans, requests }, authenticated))
    .route('/', moderationRoutes({ moderation, terms, requests }, authenticated))
    .route('/', roleRoutes('moderator', { moderation, roles, requests }, authenticated))
    .route('/', roleRoutes('vip', { moderation, roles, requests }, authenticated))

  const jobs: Job[] = [{ name: 'chat-ended-timeouts', everyMs: 60_000, singleton: true, run: async () => void (await bans.prune(new Date())) }]

  return {
    services,
    routes,
    jobs,
    /** For other chat routes that only moderators may call (announcements). */
    requireModerator: moderation.requireModerator,
    close: () => {
      roles.close()
      settings.close()
      terms.close()
    },
  }
}
