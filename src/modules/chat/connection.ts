import type { ModuleSockets } from '../../platform/sockets/types.ts'

/** One chat socket's state. */
export type ChatConnection = {
  id: string
}

/** The IRC-over-WebSocket server at `/`: `irc` echoed when offered, none accepted (twurple offers none). */
export function chatSockets(): ModuleSockets<ChatConnection> {
  return {
    upgrade: (_request, protocols) => ({ data: { id: crypto.randomUUID() }, protocol: protocols.includes('irc') ? 'irc' : undefined }),
  }
}
