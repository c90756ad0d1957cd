import { resolve } from 'node:path'
import { chatEvents } from '../../contracts/chat.ts'
import { createRouter } from '../../platform/http/router.ts'
import { defineModule } from '../../platform/module.ts'
import { chatUsersProjection } from './chat-users.ts'
import { chatSockets } from './connection.ts'
import { chatSettings } from './environment.ts'
import { CHAT_PROBLEMS } from './errors.ts'
import { createFanout } from './fanout.ts'

/** Real-time chat speaking Twitch's IRC over WebSocket at `/`, with its moderation and REST. */
export const chat = defineModule({
  name: 'chat',
  prefixes: ['/api/chat', '/api/moderation', '/api/channels/vips'],
  websocket: '/',
  migrations: resolve(import.meta.dir, '../../../migrations/chat'),
  produces: chatEvents,
  consumes: { ...chatUsersProjection },
  problems: CHAT_PROBLEMS,
  settings: chatSettings,
  create({ sockets, pubsub, metrics }) {
    const fanout = createFanout(sockets, pubsub, metrics.registry)
    return {
      routes: createRouter(),
      sockets: chatSockets(),
      stop: async () => fanout.close(),
    }
  },
})
