import { describe, expect, test } from 'bun:test'
import { checkModuleNames, ConfigError, databaseUrlVariable, loadConfig, MODULE_NAMES } from './config.ts'

/** The message a bad `env` stops start-up with. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).message
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

describe('loadConfig', () => {
  test('nothing configured: the embedded default with every module', () => {
    const config = loadConfig({})
    expect(config.modules).toEqual([...MODULE_NAMES])
    expect(config.port).toBe(3000)
    expect(config.databaseUrls).toEqual({})
    expect(config.redisUrl).toBeUndefined()
    expect(config.dbPoolMax).toBe(10)
    expect(config.logLevel).toBe('info')
    expect(config.dataDir).toBe('.data')
    expect(config.jwt).toEqual({ publicKey: undefined, issuer: 'ondes', audience: 'ondes' })
    // Never 5432, which a system Postgres may hold.
    expect(config.embeddedPostgresPort).not.toBe(5432)
    expect(config.trustProxy).toBe(false)
    expect(config.events).toEqual({
      streamPrefix: 'ondes:events',
      claimIdleMs: 30_000,
      inboxRetentionHours: 7 * 24,
      deadConsumerIdleMs: 3_600_000,
    })
  })

  test('reads what is set', () => {
    const config = loadConfig({
      MODULES: ' chat , users,chat',
      PORT: '8080',
      USERS_DATABASE_URL: 'postgres://u:p@db:5432/users_db',
      CHAT_DATABASE_URL: 'postgresql://db/chat_db',
      DB_POOL_MAX: '3',
      REDIS_URL: 'redis://cache:6379',
      LOG_LEVEL: 'debug',
      TRUST_PROXY: '1',
      EVENTS_CLAIM_IDLE_MS: '5000',
      EVENTS_INBOX_RETENTION_HOURS: '48',
      EVENTS_DEAD_CONSUMER_IDLE_MS: '600000',
    })
    expect(config.modules).toEqual(['chat', 'users'])
    expect(config.port).toBe(8080)
    expect(config.databaseUrls).toEqual({ users: 'postgres://u:p@db:5432/users_db', chat: 'postgresql://db/chat_db' })
    expect(config.dbPoolMax).toBe(3)
    expect(config.redisUrl).toBe('redis://cache:6379')
    expect(config.logLevel).toBe('debug')
    expect(config.trustProxy).toBe(true)
    expect(config.events).toMatchObject({ claimIdleMs: 5000, inboxRetentionHours: 48, deadConsumerIdleMs: 600_000 })
  })

  test.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '80.5' }],
    ['MODULES', { MODULES: 'users,nope' }],
    ['MODULES', { MODULES: ' , ' }],
    ['USERS_DATABASE_URL', { USERS_DATABASE_URL: 'mysql://db/users' }],
    ['ANALYTICS_DATABASE_URL', { ANALYTICS_DATABASE_URL: 'not a url' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }],
    ['DB_POOL_MAX', { DB_POOL_MAX: '0' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['EVENTS_INBOX_RETENTION_HOURS', { EVENTS_INBOX_RETENTION_HOURS: '0' }],
    ['EVENTS_INBOX_RETENTION_HOURS', { EVENTS_INBOX_RETENTION_HOURS: 'a week' }],
    // 5 deliveries an hour apart: a day's retention is less than ten times that.
    ['EVENTS_INBOX_RETENTION_HOURS', { EVENTS_CLAIM_IDLE_MS: '3600000', EVENTS_INBOX_RETENTION_HOURS: '24' }],
    ['EVENTS_DEAD_CONSUMER_IDLE_MS', { EVENTS_DEAD_CONSUMER_IDLE_MS: '10' }],
  ])('a bad %s stops start-up with one line naming it', (variable, env) => {
    const message = refusal(env)
    expect(message.startsWith(`${variable}: expected `)).toBe(true)
    expect(message).not.toContain('\n')
  })

  test('the inbox retention floor follows the redelivery window', () => {
    expect(refusal({ EVENTS_CLAIM_IDLE_MS: '3600000', EVENTS_INBOX_RETENTION_HOURS: '24' })).toBe(
      'EVENTS_INBOX_RETENTION_HOURS: expected at least 50 hours (ten times the redelivery window, 5 deliveries × EVENTS_CLAIM_IDLE_MS=3600000), got "24"',
    )
    expect(loadConfig({ EVENTS_CLAIM_IDLE_MS: '3600000', EVENTS_INBOX_RETENTION_HOURS: '50' }).events.inboxRetentionHours).toBe(50)
  })

  test('an unknown module is named in the refusal, with the names that are known', () => {
    const message = refusal({ MODULES: 'users,nope' })
    expect(message).toContain('nope')
    for (const name of MODULE_NAMES) expect(message).toContain(name)
  })

  test('the refusal shows the value it got, still on one line', () => {
    expect(refusal({ PORT: 'eighty' })).toContain('"eighty"')
    const message = refusal({ PORT: '80\n80' })
    expect(message).toContain('"80\\n80"')
    expect(message).not.toContain('\n')
  })
})

describe('module names', () => {
  test('a test module serves under its own name; one the process was given no definition for is refused', () => {
    expect(() => checkModuleNames(['probe-producer', 'probe-consumer'], ['probe-producer', 'probe-consumer'])).not.toThrow()
    expect(() => checkModuleNames(['probe-consumr'], ['probe-producer', 'probe-consumer'])).toThrow(
      new ConfigError('MODULES: expected modules this build has (probe-producer, probe-consumer), got "probe-consumr"'),
    )
  })

  test('one of the five may be enabled before the build has it (the default names all five)', () => {
    expect(() => checkModuleNames([...MODULE_NAMES], ['users'])).not.toThrow()
  })

  test('a module name with a hyphen still makes a variable name', () => {
    expect(databaseUrlVariable('probe-consumer')).toBe('PROBE_CONSUMER_DATABASE_URL')
  })
})
