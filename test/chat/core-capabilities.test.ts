/**
 * Twitch's capabilities honoured, on raw IRC lines: without twitch.tv/tags lines come bare,
 * without twitch.tv/commands no Twitch command arrives, with twitch.tv/membership other users'
 * JOINs and PARTs arrive in batches (every 100 ms here).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { parseLine } from '../../src/modules/chat/irc/message.ts'
import type { TestSocket } from '../../src/platform/testing/ws-client.ts'
import { linesOf, startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
beforeAll(async () => {
  f = await startChat({ CHAT_MEMBERSHIP_INTERVAL_MS: '100' })
}, 60_000)
afterAll(async () => {
  await f.close()
}, 30_000)

/** Every line taken until (and with) the first line holding `marker`. */
async function linesUntil(ws: TestSocket, marker: string): Promise<string[]> {
  const lines: string[] = []
  while (!lines.some((line) => line.includes(marker))) lines.push(...linesOf(await ws.next()))
  return lines
}
const commandsOf = (lines: string[]) => lines.map((line) => parseLine(line)!.command)

async function signedIn(login: string, caps: string): Promise<TestSocket> {
  const id = await f.user(login)
  return f.irc(login, await f.password(id, login), ['irc'], caps)
}

describe('capabilities', () => {
  test('no caps: bare PRIVMSGs, and no USERSTATE, ROOMSTATE, CLEARCHAT or NOTICE; tags alone: tagged lines, still no commands', async () => {
    await f.user('capa')
    const owner = await signedIn('capa_owner', 'twitch.tv/tags twitch.tv/commands')
    const bare = await signedIn('capa_bare', '')
    const tagsOnly = await signedIn('capa_tags', 'twitch.tv/tags')
    const commandsOnly = await signedIn('capa_cmds', 'twitch.tv/commands')

    owner.send('JOIN #capa')
    await owner.waitFor((frame) => String(frame).includes('ROOMSTATE'))
    bare.send('JOIN #capa')
    expect(commandsOf(linesOf(await bare.next()))).toEqual(['JOIN', '353', '366'])
    tagsOnly.send('JOIN #capa')
    expect(commandsOf(linesOf(await tagsOnly.next()))).toEqual(['JOIN', '353', '366'])
    commandsOnly.send('JOIN #capa')
    const joined = linesOf(await commandsOnly.next())
    expect(commandsOf(joined)).toEqual(['JOIN', '353', '366', 'USERSTATE', 'ROOMSTATE'])
    expect(joined.every((line) => !line.startsWith('@'))).toBe(true)

    owner.send('PRIVMSG #capa :hello everyone')
    expect(linesOf(await bare.next())).toEqual([':capa_owner!capa_owner@capa_owner.tmi.twitch.tv PRIVMSG #capa :hello everyone'])
    const tagged = parseLine(linesOf(await tagsOnly.next())[0]!)!
    expect(tagged.command).toBe('PRIVMSG')
    expect(tagged.tags['display-name']).toBe('capa_owner')
    expect(linesOf(await commandsOnly.next())).toEqual([':capa_owner!capa_owner@capa_owner.tmi.twitch.tv PRIVMSG #capa :hello everyone'])

    // A refusal (NOTICE) and the sender's USERSTATE after its message are commands: the bare client gets neither.
    bare.send(`PRIVMSG #capa :${'x'.repeat(501)}`)
    bare.send('PRIVMSG #capa :bare speaks')
    expect(await linesUntil(commandsOnly, 'bare speaks')).toEqual([':capa_bare!capa_bare@capa_bare.tmi.twitch.tv PRIVMSG #capa :bare speaks'])
    expect(commandsOf(await linesUntil(tagsOnly, 'bare speaks'))).toEqual(['PRIVMSG'])

    // The channel's owner clears the chat: CLEARCHAT reaches only the connections with twitch.tv/commands.
    const capbId = await f.user('capb')
    const broadcaster = await f.irc('capb', await f.password(capbId, 'capb'))
    for (const ws of [broadcaster, bare, tagsOnly, commandsOnly]) {
      ws.send('JOIN #capb')
      await ws.next()
    }
    broadcaster.send('PRIVMSG #capb :/clear')
    expect(linesOf(await commandsOnly.next())).toEqual([':tmi.twitch.tv CLEARCHAT #capb'])
    broadcaster.send('PRIVMSG #capb :after the clear')
    for (const ws of [bare, tagsOnly]) {
      const lines = await linesUntil(ws, 'after the clear')
      expect(commandsOf(lines)).toEqual(['PRIVMSG'])
    }
    // bare sent nothing but lines Twitch answers with commands: none of them came back.
    expect(bare.pending).toEqual([])
  })

  test('CAP REQ after JOIN applies to the room already joined; -twitch.tv/tags takes tags away', async () => {
    await f.user('capc')
    const sender = await signedIn('capc_sender', 'twitch.tv/tags twitch.tv/commands')
    const late = await signedIn('capc_late', '')
    for (const ws of [sender, late]) {
      ws.send('JOIN #capc')
      await ws.next()
    }
    late.send('CAP REQ :twitch.tv/tags twitch.tv/commands')
    expect(linesOf(await late.next())).toEqual([':tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands'])
    sender.send('PRIVMSG #capc :now with tags')
    const line = linesOf(await late.next())[0]!
    expect(parseLine(line)!.tags['user-id']).toBeDefined()
    late.send('CAP REQ :-twitch.tv/tags')
    expect(linesOf(await late.next())).toEqual([':tmi.twitch.tv CAP * ACK :-twitch.tv/tags'])
    sender.send('PRIVMSG #capc :and without')
    expect(linesOf(await late.next())).toEqual([':capc_sender!capc_sender@capc_sender.tmi.twitch.tv PRIVMSG #capc :and without'])
  })

  test('twitch.tv/membership: other signed-in users’ JOIN and PART, batched; a JOIN and PART in one batch cancel; none without it', async () => {
    await f.user('capd')
    const watcher = await signedIn('capd_watch', 'twitch.tv/tags twitch.tv/commands twitch.tv/membership')
    const blind = await signedIn('capd_blind', 'twitch.tv/tags twitch.tv/commands')
    for (const ws of [watcher, blind]) {
      ws.send('JOIN #capd')
      await ws.waitFor((frame) => String(frame).includes('ROOMSTATE'))
    }
    // The watcher's own JOIN may come back in its first batch (Twitch's batches hold the room's changes).
    await Bun.sleep(250)
    watcher.pending.length = 0

    const comer = await signedIn('capd_comer', 'twitch.tv/tags twitch.tv/commands')
    const brief = await signedIn('capd_brief', '')
    const stayer = await signedIn('capd_stay', '')
    comer.send('JOIN #capd')
    expect(await linesUntil(watcher, 'capd_comer')).toEqual([':capd_comer!capd_comer@capd_comer.tmi.twitch.tv JOIN #capd'])
    comer.send('PART #capd')
    expect(await linesUntil(watcher, 'capd_comer')).toEqual([':capd_comer!capd_comer@capd_comer.tmi.twitch.tv PART #capd'])

    // Just after a batch went out: joined and left within the next one, nothing to tell. A closed connection parts.
    brief.send('JOIN #capd\r\nPART #capd')
    stayer.send('JOIN #capd')
    expect(await linesUntil(watcher, 'capd_stay')).toEqual([':capd_stay!capd_stay@capd_stay.tmi.twitch.tv JOIN #capd'])
    await stayer.close()
    expect(await linesUntil(watcher, 'capd_stay')).toEqual([':capd_stay!capd_stay@capd_stay.tmi.twitch.tv PART #capd'])

    // Anonymous viewers are never told, as on Twitch.
    const anonymous = await f.irc('justinfan4242', undefined, ['irc'], 'twitch.tv/membership')
    anonymous.send('JOIN #capd')
    await anonymous.next()
    watcher.send('PRIVMSG #capd :marker')
    await Bun.sleep(300)
    blind.send('PRIVMSG #capd :end of test')
    const rest = await linesUntil(watcher, 'end of test')
    expect(rest.filter((line) => line.includes(' JOIN ') || line.includes(' PART '))).toEqual([])
    const blindLines = await linesUntil(blind, 'marker')
    expect(commandsOf(blindLines).filter((command) => command === 'JOIN' || command === 'PART')).toEqual([])
  })
})
