import { resolve } from 'node:path'
import { Counter } from 'prom-client'
import { chatEvents } from '../../contracts/chat.ts'
import { createRouter } from '../../platform/http/router.ts'
import { defineModule } from '../../platform/module.ts'
import { createChatUsers, chatUsersProjection } from './chat-users.ts'
import { createChatServer } from './connection.ts'
import { chatTokenRoutes } from './chat-token.routes.ts'
import { createChatters } from './chatters.ts'
import { defaultServices, type ChatServices } from './chat-services.ts'
import { chatSettings } from './environment.ts'
import { CHAT_PROBLEMS } from './errors.ts'
import { createChatDelay } from './chat-delay.ts'
import { createFanout } from './fanout.ts'
import { createMembership } from './membership.ts'
import { createMessageStore } from './message-store.ts'
import { createActivity } from './activity.ts'
import { announcementsConsumed, deliverNotices, withAnnounce } from './announcements.ts'
import { announcementRoutes } from './announcements.routes.ts'
import { createEmotes } from './emotes.ts'
import { emoteRoutes } from './emotes.routes.ts'
import { createChatHistory } from './history.ts'
import { historyRoutes } from './history.routes.ts'
import { streamSessionsProjection } from './stream-sessions.ts'
import { createSubscribers, subscribersProjection } from './subscribers.ts'
import { createChatModeration } from './chat-moderation.ts'
import { followProjection } from './follows.ts'

/** Real-time chat speaking Twitch's IRC over WebSocket at `/`, with its moderation and REST. */
export const chat = defineModule({
  name: 'chat',
  prefixes: ['/api/chat', '/api/moderation', '/api/channels/vips'],
  websocket: '/',
  migrations: resolve(import.meta.dir, '../../../migrations/chat'),
  produces: chatEvents,
  consumes: { ...chatUsersProjection, ...subscribersProjection, ...announcementsConsumed, ...streamSessionsProjection, ...followProjection },
  problems: CHAT_PROBLEMS,
  settings: chatSettings,
  create({ settings, database, sockets, pubsub, metrics, log, verifyAccessToken, sessionRevoked, authenticated, rateLimiter }) {
    const fanout = createFanout(sockets, pubsub, metrics.registry)
    const membership = createMembership(fanout)
    const delay = createChatDelay(fanout)
    const store = createMessageStore(database, log)
    const emotes = createEmotes(database, pubsub)
    const activity = createActivity(database)
    const users = createChatUsers(database)
    const moderation = createChatModeration({
      database,
      pubsub,
      fanout,
      rateLimiter,
      users,
      registry: metrics.registry,
      authenticated,
      storeIntervalMs: settings.CHAT_STORE_INTERVAL_MS,
    })
    const services: ChatServices = {
      ...defaultServices,
      ...moderation.services,
      runCommand: withAnnounce(moderation.services.runCommand, moderation.requireModerator),
      emotes: emotes.emotesTag,
      subscriber: createSubscribers(database).subscriberOf,
      count: activity.count,
    }
    const server = createChatServer({
      settings,
      users,
      services,
      fanout,
      membership,
      delay,
      store,
      chatters: createChatters(database),
      verifyAccessToken,
      sessionRevoked,
      log,
      accepted: new Counter({ name: 'chat_messages_total', help: 'Chat messages accepted (sent to their room)', registers: [metrics.registry] }),
    })
    return {
      routes: createRouter()
        .route('/', chatTokenRoutes(authenticated))
        .route('/', emoteRoutes(emotes, authenticated, settings.CHAT_EMOTE_MAX_BYTES))
        .route('/', historyRoutes(createChatHistory(database), authenticated))
        .route('/', moderation.routes)
        .route('/', announcementRoutes({ users, moderation, fanout }, authenticated)),
      sockets: server.sockets,
      jobs: [
        { name: 'chat-messages-store', everyMs: settings.CHAT_STORE_INTERVAL_MS, run: () => store.flush() },
        { name: 'chat-notices', everyMs: settings.CHAT_NOTICE_INTERVAL_MS, run: () => deliverNotices(database, fanout) },
        { name: 'chat-activity', everyMs: settings.CHAT_ACTIVITY_FLUSH_MS, run: () => activity.flush() },
        { name: 'chat-membership', everyMs: settings.CHAT_MEMBERSHIP_INTERVAL_MS, run: async () => membership.flush() },
        ...moderation.jobs,
      ],
      start: async () => server.keepAlive(),
      // After the sockets closed (RECONNECT sent): the lines under way finish, then the last batch is written.
      stop: async () => {
        server.stop()
        await server.settle()
        // Held messages still go out at their time (6 s at most), to the replicas the clients reconnected to.
        await Promise.all([delay.drain(), store.flush()])
        // The running minute too: its counts would be lost with the process.
        await activity.flush({ all: true })
        emotes.close()
        moderation.close()
        fanout.close()
      },
    }
  },
})
