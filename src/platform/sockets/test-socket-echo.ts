/**
 * A socket module for the platform's socket and pub/sub tests (the platform may import no
 * real module). It takes a `name` and a `room` at the upgrade, echoes every frame, and sends
 * a line to everyone in its room, on every replica, when a frame starts with `all `.
 */
import { resolve } from 'node:path'
import { createRoute, z } from '@hono/zod-openapi'
import { problemResponses } from '../http/openapi.ts'
import { createRouter } from '../http/router.ts'
import type { ModuleDefinition } from '../module.ts'
import { refuseUpgrade } from './seam.ts'
import type { ModuleSockets } from './types.ts'

export const SOCKET_ECHO_PATH = '/socket-echo'
/** The subprotocol the module speaks, echoed when a client offers it. */
export const ECHO_PROTOCOL = 'echo'

type EchoData = { name: string; room: string }
/** What travels over pub/sub: a line for one room, on every replica. */
const RoomLine = z.object({ room: z.string(), line: z.string() })

const roomTopic = (room: string) => `room:${room}`

export const socketEcho: ModuleDefinition = {
  name: 'socket-echo',
  prefixes: ['/api/socket-echo'],
  websocket: SOCKET_ECHO_PATH,
  migrations: resolve(import.meta.dir, 'test-socket-echo/migrations'),
  create({ sockets: server, pubsub }) {
    pubsub.subscribe('lines', (message) => {
      const { room, line } = RoomLine.parse(JSON.parse(message))
      server.publish(roomTopic(room), line)
    })
    const say = (room: string, line: string) => pubsub.publish('lines', JSON.stringify({ room, line }))

    const sockets: ModuleSockets<EchoData> = {
      upgrade(request, protocols) {
        const query = new URL(request.url).searchParams
        const name = query.get('name')
        if (!name) return refuseUpgrade(400, 'name: expected a query parameter')
        if (protocols.length > 0 && !protocols.includes(ECHO_PROTOCOL)) {
          return refuseUpgrade(400, `Sec-WebSocket-Protocol: expected ${ECHO_PROTOCOL} or none, got ${protocols.join(', ')}`)
        }
        return { data: { name, room: query.get('room') ?? 'lobby' }, protocol: protocols.length > 0 ? ECHO_PROTOCOL : undefined }
      },
      open(ws) {
        ws.subscribe(roomTopic(ws.data.room))
        ws.send(`welcome ${ws.data.name}`)
      },
      message(ws, message) {
        if (typeof message === 'string' && message.startsWith('all ')) void say(ws.data.room, `${ws.data.name}: ${message.slice(4)}`)
        else ws.send(message)
      },
      goingAway(ws) {
        ws.send('RECONNECT')
      },
    }

    const router = createRouter()
    router.openapi(
      createRoute({
        operationId: 'socketEchoSay',
        security: [],
        method: 'post',
        path: '/api/socket-echo/rooms/{room}/lines',
        request: {
          params: z.object({ room: z.string().min(1) }),
          body: { content: { 'application/json': { schema: z.object({ text: z.string().min(1) }) } } },
        },
        responses: { 202: { description: 'Sent to the room on every replica' }, ...problemResponses(400) },
      }),
      async (c) => {
        await say(c.req.valid('param').room, c.req.valid('json').text)
        return c.json({ data: { sent: true } }, 202)
      },
    )
    return { routes: router, sockets }
  },
}
