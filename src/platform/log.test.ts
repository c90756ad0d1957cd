import { afterAll, describe, expect, test } from 'bun:test'
import { sql as query } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { createLog, scrubSecrets } from './log.ts'
import { testAdminUrl } from './testing/databases.ts'

const EMAIL = 'secret.person@example.test'
const HASH = '$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo'
const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'
const REFRESH = 'ort_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA'
const PASSWORD = 'correct horse battery staple'
const STREAM_KEY = 'live_42_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ'

/** A logger at debug level whose lines land in an array. */
function capturedLog() {
  const lines: string[] = []
  const log = createLog({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } })
  const leaks = () => lines.filter((line) => [EMAIL, HASH, JWT, REFRESH, PASSWORD, STREAM_KEY, '$argon2'].some((s) => line.includes(s)))
  return { log, lines, leaks }
}

// postgres.js makes `query` and `parameters` enumerable with `debug`: the worst case for a serializer.
const sql = postgres(testAdminUrl(), { max: 1, onnotice: () => {}, debug: true })
afterAll(() => sql.end())

describe('the platform logger', () => {
  test('secrets under known keys are redacted at any of the first three levels', () => {
    const { log, lines, leaks } = capturedLog()
    log.info({ email: EMAIL, body: { password: PASSWORD, refresh_token: REFRESH }, req: { headers: { authorization: `Bearer ${JWT}` } } }, 'x')
    expect(lines).toHaveLength(1)
    expect(leaks()).toEqual([])
    expect(JSON.parse(lines[0]!)).toMatchObject({ email: '[redacted]', body: { password: '[redacted]' } })
  })

  test("a failed drizzle statement is logged without its parameters, the row Postgres quotes or the input it could not cast", async () => {
    const { log, lines, leaks } = capturedLog()
    const db = drizzle(sql)
    await sql`create temporary table leak (email text not null, hash text not null, check (length(email) < 5))`
    const errors = await Promise.all([
      db.execute(query`insert into leak values (${EMAIL}, ${HASH})`).catch((error: unknown) => error),
      db.execute(query`select ${EMAIL}::bigint, ${HASH}`).catch((error: unknown) => error),
      sql`select ${PASSWORD}::int`.catch((error: unknown) => error),
      sql`insert into leak values (${EMAIL}, ${HASH})`.catch((error: unknown) => error),
    ])
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error)
      log.error({ err: error }, 'unhandled error')
      log.warn({ error }, 'event dead-lettered')
    }
    expect(lines).toHaveLength(8)
    expect(leaks()).toEqual([])
    // What helps a reader stays: the statement's text, the cause and its code.
    const first = JSON.parse(lines[0]!) as { err: { message: string; stack: string } }
    expect(first.err.message).toContain('insert into leak values ($1, $2)')
    expect(first.err.message).toContain('violates check constraint')
    expect(JSON.parse(lines[4]!).err).toMatchObject({ code: '22P02', message: expect.stringContaining('type integer') })
  })

  test('the finished line is scrubbed of secret shapes whatever key or message carries them', () => {
    const { log, leaks } = capturedLog()
    log.info({ note: `token ${JWT} for ${EMAIL}` }, `hash ${HASH} refresh ${REFRESH} key ${STREAM_KEY}`)
    log.info(`Bearer ${PASSWORD}`)
    expect(leaks()).toEqual([])
    expect(scrubSecrets('login twitchdev, id 141981764')).toBe('login twitchdev, id 141981764')
  })
})
