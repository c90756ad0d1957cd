import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino'

// Keys whose values are credentials or personal data wherever they sit in a log object.
const SECRET_KEYS = [
  'password',
  'password_hash',
  'passwordHash',
  'email',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'stream_key',
  'streamKey',
  'secret',
  'authorization',
  'cookie',
  // A statement's values (postgres.js, drizzle): emails, hashes, tokens as often as ids.
  'parameters',
  'params',
  'args',
]

// pino's paths name one level each; three levels reach `err.cause.x` and `req.headers.x`.
const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`])

// Error fields that carry a statement's text or the values it was run with: postgres.js's
// `query`/`parameters`/`args`/`types`, drizzle's `query`/`params`, and Postgres's `detail`
// ("Failing row contains (…)", "Key (email)=(…) already exists").
const WITHHELD_ERROR_FIELDS = ['query', 'params', 'parameters', 'args', 'types', 'detail']

type SerializedError = Record<string, unknown> & { message?: string; stack?: string }

/**
 * Texts in `error` and its causes that quote a statement's values: drizzle's `params: …` line,
 * and the messages of Postgres data exceptions (class 22: `invalid input syntax for type
 * bigint: "…"`, `value "…" is out of range`), whose quotes hold input, never identifiers.
 */
function valueTexts(error: unknown): [text: string, withheld: string][] {
  const texts: [string, string][] = []
  for (let link = error, depth = 0; link instanceof Error && depth < 8; link = link.cause, depth++) {
    const { params, code } = link as { params?: unknown; code?: unknown }
    if (Array.isArray(params)) texts.push([`\nparams: ${String(params)}`, '\nparams: [withheld]'])
    if (typeof code === 'string' && code.startsWith('22')) {
      texts.push([link.message, link.message.replaceAll(/"(?:[^"]|"")*"/g, '"[withheld]"')])
    }
  }
  return texts.filter(([text, withheld]) => text !== '' && text !== withheld)
}

/**
 * pino's error serializer, minus what a failed statement carries: the fields above, and the
 * values quoted in messages and stacks (`valueTexts`).
 *
 * @example
 * serializeError(new DrizzleQueryError('insert …', ['a@b.c'], cause)).message // 'Failed query: insert …\nparams: [withheld]: …'
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as SerializedError
  if (serialized === error || typeof serialized !== 'object' || serialized === null) return serialized
  for (const [text, withheld] of valueTexts(error)) {
    for (const key of ['message', 'stack'] as const) {
      const value = serialized[key]
      if (typeof value === 'string') serialized[key] = value.split(text).join(withheld)
    }
  }
  for (const key of WITHHELD_ERROR_FIELDS) delete serialized[key]
  return serialized
}

// The last resort, over every finished line: shapes of secrets that reached a message or a key
// no path above names. JWTs, PHC hashes (argon2, bcrypt), refresh tokens, stream keys, bearer
// credentials and email addresses.
const SECRET_SHAPES =
  /eyJ[\w-]*\.[\w-]*\.[\w-]*|\$argon2(?:id|i|d)\$[^\s"\\]*|\$2[aby]\$\d\d\$[./\w]{53}|\bort_[\w-]+|\blive_\d+_[\w-]+|\bBearer\s+[^\s"\\]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g

/**
 * Replaces whatever looks like a credential or an email in a log line.
 *
 * @example
 * scrubSecrets('{"msg":"mail a@b.test"}') // '{"msg":"mail [redacted]"}'
 */
export function scrubSecrets(line: string): string {
  return line.replace(SECRET_SHAPES, '[redacted]')
}

/**
 * The process's logger: JSON lines on stdout (or `destination`), with credentials, emails and
 * statement values removed for every module — by key (`redact`), from errors (`serializeError`,
 * for both `err` and `error` keys), and by shape on the finished line (`scrubSecrets`).
 *
 * @example
 * const log = createLog({ level: config.logLevel })
 * log.error({ err }, 'unhandled error') // no query values, hashes or emails in the line
 */
export function createLog(options: { level: LevelWithSilent; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'ondes' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError },
      hooks: { streamWrite: scrubSecrets },
    },
    options.destination,
  )
}
