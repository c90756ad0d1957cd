import { expect, test } from 'bun:test'
import { createMembership } from './membership.ts'

const ROOM = { login: 'ada', broadcasterId: '42' }

/** Membership over a recorder of what it publishes, in a room of `size` connections. */
function recorded(size = 3) {
  const sent: string[][] = []
  const membership = createMembership({ roomSize: () => size, toMembers: (_room, lines) => void sent.push(lines) })
  return { membership, sent }
}

test("a login's second connection neither joins nor parts: only its first and its last are told", () => {
  const { membership, sent } = recorded()
  membership.joined(ROOM, 'bob')
  membership.joined(ROOM, 'bob')
  membership.flush()
  // One of bob's two connections closes: bob is still in the room.
  membership.parted(ROOM, 'bob')
  membership.flush()
  membership.parted(ROOM, 'bob')
  membership.flush()
  expect(sent).toEqual([[':bob!bob@bob.tmi.twitch.tv JOIN #ada'], [':bob!bob@bob.tmi.twitch.tv PART #ada']])
})

test('a JOIN and a PART in one batch cancel out; a PART of a login never seen is not told', () => {
  const { membership, sent } = recorded()
  membership.joined(ROOM, 'bob')
  membership.parted(ROOM, 'bob')
  membership.parted(ROOM, 'eve')
  membership.flush()
  expect(sent).toEqual([])
})

test('a room of 1 000 connections or more is told nothing', () => {
  const { membership, sent } = recorded(1000)
  membership.joined(ROOM, 'bob')
  membership.flush()
  expect(sent).toEqual([])
})
