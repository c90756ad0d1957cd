import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { passwordWeakness } from './passwords.ts'
import { registerAccount } from './test-accounts.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
})
afterAll(() => t.close())

const register = (login: string, password: string, email = `${login}@example.test`) =>
  t.request('/api/auth/register', { method: 'POST', json: { login, email, password } })
const login = (loginName: string, password: string) => t.request('/api/auth/login', { method: 'POST', json: { login: loginName, password } })

type Problem = { type: string; errors: { field: string; message: string }[] }

describe('weak passwords are refused at registration, naming the field', () => {
  const cases: [string, string, string, string?][] = [
    ['common', 'password', 'is one of the most common passwords'],
    ['common, any case', 'PassWord', 'is one of the most common passwords'],
    ['common digits', '12345678', 'is one of the most common passwords'],
    ['common phrase', 'iloveyou', 'is one of the most common passwords'],
    ['one letter repeated', 'aaaaaaaa', 'has fewer than 3 different characters'],
    ['eight spaces', '        ', 'has fewer than 3 different characters'],
    ['two characters', 'abababab', 'has fewer than 3 different characters'],
    ['the login', 'weak_login', 'must not contain the login'],
    ['the login, in capitals, inside', 'my WEAK_LOGIN 2024', 'must not contain the login'],
    ['the email name', 'x jeanne.doe x', "must not contain the email address's name", 'Jeanne.Doe@example.test'],
  ]
  for (const [what, password, message, email] of cases) {
    test(`${what}: ${JSON.stringify(password)}`, async () => {
      const res = await register('weak_login', password, email)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      const problem = (await res.json()) as Problem
      expect(problem.type).toBe('https://ondes.dev/problems/request.invalid')
      expect(problem.errors).toEqual([{ field: 'password', message }])
    })
  }

  test('nothing was written for any of them', async () => {
    const [row] = await t.sql.users!`select count(*)::int as n from users where login = 'weak_login'`
    expect(row!.n).toBe(0)
  })

  test('a long passphrase, or one with a short email name inside, is fine', async () => {
    expect((await register('strong_one', 'correct horse battery')).status).toBe(201)
    // "ann" is under four characters: not taken as a name to avoid.
    expect((await register('strong_two', 'planning a banner', 'ann@example.test')).status).toBe(201)
  })

  test('the list is the top passwords, well past the first 3 000 (ASVS 6.2.4)', () => {
    const account = { login: 'someone', email: 'someone@example.test' }
    // Ranks 23, 2 901, 16 790 and 20 002 of zxcvbn-ts's list.
    for (const common of ['qwertyuiop', 'universe', 'ilovemyself', 'house123']) {
      expect(passwordWeakness(common, account)).toBe('is one of the most common passwords')
    }
    expect(passwordWeakness('zebra kettle lamp', account)).toBeUndefined()
  })
})

describe('passwords are compared in NFC', () => {
  const composed = 'crème brûlée café'.normalize('NFC')
  const decomposed = composed.normalize('NFD')

  test('registered composed, typed decomposed (and the other way round): the same password', async () => {
    expect(decomposed).not.toBe(composed)
    await registerAccount(t, 'nfc_composed', composed)
    expect((await login('nfc_composed', decomposed)).status).toBe(200)
    expect((await login('nfc_composed', composed)).status).toBe(200)
    await registerAccount(t, 'nfc_decomposed', decomposed)
    expect((await login('nfc_decomposed', composed)).status).toBe(200)
    expect((await login('nfc_decomposed', 'creme brulee cafe')).status).toBe(401)
  }, 30_000)

  test('a hash made before normalisation, from the raw decomposed text, still verifies as typed', async () => {
    const account = await registerAccount(t, 'nfc_legacy', 'placeholder words')
    const legacy = await Bun.password.hash(decomposed, { algorithm: 'argon2id' })
    await t.sql.users!`update users set password_hash = ${legacy} where id = ${account.id}`
    expect((await login('nfc_legacy', decomposed)).status).toBe(200)
    expect((await login('nfc_legacy', 'placeholder words')).status).toBe(401)
  }, 30_000)
})
