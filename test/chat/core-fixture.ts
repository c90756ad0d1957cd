/**
 * The chat module served on a loopback port for the core tests: users registered through its
 * real inbox, chat tokens for them, and raw IRC sockets that log in and join.
 */
import { chat } from '../../src/modules/chat/index.ts'
import { modules } from '../../src/modules.ts'
import { chatTokenOf } from '../../src/platform/auth/chat-token.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { freePort } from '../../src/platform/testing/processes.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { connectSocket, type TestSocket } from '../../src/platform/testing/ws-client.ts'

export type ChatFixture = {
  t: TestPlatform
  port: number
  /** Registers a user in chat's users projection (as users' event would); returns its id. */
  user: (login: string, displayName?: string) => Promise<string>
  /** `oauth:<chat token>` for the user, as a client sends it. */
  password: (userId: string, login: string) => Promise<string>
  /**
   * A raw socket, registered (PASS/NICK, or anonymous with no password), frames until 376/GLOBALUSERSTATE taken.
   * `caps` are requested first (tags and commands unless told; '' for none).
   */
  irc: (login: string, password?: string, protocols?: string[], caps?: string) => Promise<TestSocket>
  close: () => Promise<void>
}

let nextId = 1000 + Math.floor(Math.random() * 1_000_000)

/**
 * Chat alone consumes users' events from Redis (as in split mode), under this test's own stream
 * prefix, or beside every module without Redis; users are registered straight into its inbox.
 */
export async function startChat(env: Record<string, string> = {}): Promise<ChatFixture> {
  const redisUrl = process.env.REDIS_URL
  // Without Redis, chat runs beside the modules whose events it consumes, in one process, as `bun start` runs it.
  const t = redisUrl
    ? await createTestPlatform([chat], { REDIS_URL: redisUrl, EVENTS_STREAM_PREFIX: `test:chat-core:${crypto.randomUUID()}`, ...env })
    : await createTestPlatform(modules, env)
  const port = freePort()
  t.platform.serve({ port, hostname: '127.0.0.1' })
  const sockets: TestSocket[] = []
  const fixture: ChatFixture = {
    t,
    port,
    async user(login, displayName = login) {
      const id = String(nextId++)
      const { outcome } = await deliver(t, chat, 'users.registered.v1', {
        user_id: id,
        login,
        display_name: displayName,
        created_at: new Date().toISOString(),
        version: 1,
      })
      if (outcome.status !== 'handled') throw new Error(`registering ${login}: ${JSON.stringify(outcome)}`)
      return id
    },
    password: async (userId, login) => `oauth:${chatTokenOf(await accessTokenFor(t, userId, [], { login }))}`,
    async irc(login, password, protocols = ['irc'], caps = 'twitch.tv/tags twitch.tv/commands') {
      const ws = await connectSocket(`ws://127.0.0.1:${port}/`, { protocols })
      sockets.push(ws)
      if (caps !== '') ws.send(`CAP REQ :${caps}`)
      if (password) ws.send(`PASS ${password}`)
      ws.send(`NICK ${login}`)
      // GLOBALUSERSTATE is a Twitch command: only with twitch.tv/commands.
      await ws.waitFor((frame) => String(frame).includes(password && caps.includes('twitch.tv/commands') ? 'GLOBALUSERSTATE' : ' 376 '))
      return ws
    },
    close: async () => {
      await Promise.all(sockets.map((ws) => ws.close()))
      await t.close()
    },
  }
  return fixture
}

/** The lines of a frame (a frame may hold several, CRLF-separated). */
export const linesOf = (frame: unknown) => String(frame).split('\r\n').filter(Boolean)
