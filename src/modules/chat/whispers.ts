import type { ChatContext, ChatSocket } from './chat-context.ts'
import { formatLine } from './irc/message.ts'
import { noticeLine, send, userPrefix } from './irc/replies.ts'

/**
 * `/w <login> <text>` (tmi.js sends it to `#tmijs`, a channel nobody has): a WHISPER to every
 * connection of the other user on every replica. Success has no answer (tmi.js settles on the
 * silence); refusals are Twitch's `whisper_*` NOTICEs.
 */
export async function whisper(context: ChatContext, ws: ChatSocket, channel: string, args: string[]): Promise<void> {
  const sender = ws.data.user!
  const [login = '', ...words] = args
  const text = words.join(' ')
  if (login === '' || text === '') {
    send(ws, noticeLine(channel, 'Usage: "/w <login> <message>"', 'usage_whisper'))
    return
  }
  const recipient = await context.users.byLogin(login.replace(/^@/, ''))
  if (recipient === undefined) {
    send(ws, noticeLine(channel, 'No user matching that username.', 'whisper_invalid_login'))
    return
  }
  if (recipient.id === sender.id) {
    send(ws, noticeLine(channel, 'You cannot whisper to yourself.', 'whisper_invalid_self'))
    return
  }
  const [low, high] = BigInt(sender.id) < BigInt(recipient.id) ? [sender.id, recipient.id] : [recipient.id, sender.id]
  const line = formatLine({
    tags: {
      badges: '',
      color: sender.color,
      'display-name': sender.displayName,
      emotes: '',
      'message-id': crypto.randomUUID(),
      'thread-id': `${low}_${high}`,
      turbo: '0',
      'user-id': sender.id,
      'user-type': '',
    },
    prefix: userPrefix(sender.login),
    command: 'WHISPER',
    params: [recipient.login, text],
  })
  context.fanout.toUser(recipient.id, line)
}
