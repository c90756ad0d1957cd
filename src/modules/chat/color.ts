import type { ChatContext, ChatSocket } from './chat-context.ts'
import { noticeLine, send } from './irc/replies.ts'

// The colours Twitch names (any user), as #RRGGBB; hex is open to everyone here (Twitch: Turbo/Prime).
const NAMED: Record<string, string> = {
  blue: '#0000FF',
  blueviolet: '#8A2BE2',
  cadetblue: '#5F9EA0',
  chocolate: '#D2691E',
  coral: '#FF7F50',
  dodgerblue: '#1E90FF',
  firebrick: '#B22222',
  goldenrod: '#DAA520',
  green: '#008000',
  hotpink: '#FF69B4',
  orangered: '#FF4500',
  red: '#FF0000',
  seagreen: '#2E8B57',
  springgreen: '#00FF7F',
  yellowgreen: '#9ACD32',
}

/** `/color <name or #RRGGBB>`: `color_changed` (settles tmi.js's `color()`), or `usage_color`. */
export async function changeColor(context: ChatContext, ws: ChatSocket, channel: string, args: string[]): Promise<void> {
  const user = ws.data.user!
  const wanted = args[0] ?? ''
  const color = NAMED[wanted.toLowerCase()] ?? (/^#[0-9a-f]{6}$/i.test(wanted) ? wanted.toUpperCase() : undefined)
  if (color === undefined) {
    send(ws, noticeLine(channel, `Usage: "/color <color>" - Change your username color. Color must be in hex (#000000) or one of the following: ${Object.keys(NAMED).join(', ')}.`, 'usage_color'))
    return
  }
  await context.users.setColor(user.id, color)
  user.color = color
  send(ws, noticeLine(channel, 'Your color has been changed.', 'color_changed'))
}
