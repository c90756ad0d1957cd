import { describe, expect, test } from 'bun:test'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { createAccessTokenSigner, createAccessTokenVerifier } from './tokens.ts'
import { createRevocationList } from './revocations.ts'
import { accessTokenOf, chatTokenOf } from './chat-token.ts'

const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
const [publicKey, privateKey] = [await exportSPKI(pair.publicKey), await exportPKCS8(pair.privateKey)]
const settings = { issuer: 'ondes', audience: 'ondes' }

describe('chat token', () => {
  test('is the access token in hexadecimal and comes back from any case', () => {
    const token = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.AbC-_x'
    const chat = chatTokenOf(token)
    expect(chat).toMatch(/^[0-9a-f]+$/)
    expect(accessTokenOf(chat)).toBe(token)
    expect(accessTokenOf(chat.toUpperCase())).toBe(token)
    for (const input of ['a', 'ab', 'abc', 'abcd', 'é', '🎉']) expect(accessTokenOf(chatTokenOf(input))).toBe(input)
  })

  test('what is not one is refused, never thrown', () => {
    for (const input of ['', 'not-hex!', 'abc', 'a'.repeat(9000), 'c328', 'zz']) expect(accessTokenOf(input)).toBeUndefined()
  })

  test('a signed access token, lowercased as tmi.js does, still verifies; a revoked session does not', async () => {
    const sign = await createAccessTokenSigner(privateKey, { ...settings, ttlSeconds: 900 })
    const revocations = createRevocationList()
    const verify = await createAccessTokenVerifier(publicKey, settings, revocations)
    const token = await sign({ userId: '42', login: 'ada', roles: [], sessionId: 's1' })
    const password = `oauth:${chatTokenOf(token)}`.toLowerCase()
    expect((await verify(accessTokenOf(password.slice('oauth:'.length))!)).userId).toBe('42')
    revocations.apply([{ kind: 'session', sessionId: 's1', until: Date.now() / 1000 + 900 }])
    expect(verify(accessTokenOf(password.slice('oauth:'.length))!)).rejects.toThrow('ended')
  })
})
