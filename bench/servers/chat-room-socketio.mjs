/**
 * Baseline of the chat fan-out figure (bench/chat-room.ts), run with `node`: a Socket.IO 4 server (WebSocket transport
 * only) where every `m` event a client emits is broadcast to the others (`socket.broadcast.emit`),
 * the way a Socket.IO chat fans a message out.
 */
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const http = createServer((_request, response) => response.end('ok'))
const io = new Server(http, { transports: ['websocket'], serveClient: false })
io.on('connection', (socket) => socket.on('m', (text) => socket.broadcast.emit('m', text)))
http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => console.log('socket.io baseline listening'))
