/**
 * The Dockerfile's build, replayed without Docker (CI's machine has no engine): each stage's
 * COPYs into a directory of its own, as the build context (.dockerignore applied) gives them,
 * its `bun install`, then the image's CMD and HEALTHCHECK against this machine's Postgres. It
 * fails when the install or the app needs a file the image leaves out, or when the app imports
 * a package the production install does not bring.
 */
import { afterAll, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { buildDatabases } from '../test/build-databases.ts'
import { freePort, REPO_ROOT, startApp } from '../src/platform/testing/processes.ts'

type Stage = { name: string; workdir: string; dir: string; env: Record<string, string>; cmd?: string[]; healthcheck?: string[] }

const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/)
      return { op: op.toUpperCase(), args: rest.join(' ') }
    })
}

/** Whether .dockerignore keeps `path` (relative to the context) out of the build context. */
function ignoredBy(patterns: Bun.Glob[]): (path: string) => boolean {
  return (path) => {
    // A pattern that matches a directory leaves out everything under it.
    const parts = path.split('/')
    return parts.some((_, i) => patterns.some((glob) => glob.match(parts.slice(0, i + 1).join('/'))))
  }
}

const exec = (args: string) => JSON.parse(args) as string[]

async function replay(context: string): Promise<Stage> {
  const ignoreFile = join(context, '.dockerignore')
  const patterns = existsSync(ignoreFile)
    ? (await Bun.file(ignoreFile).text())
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => new Bun.Glob(line.replace(/^\//, '')))
    : []
  const ignored = ignoredBy(patterns)
  const stages = new Map<string, Stage>()
  let stage: Stage | undefined
  const root = mkdtempSync(join(tmpdir(), 'ondes-image-'))
  cleanups.push(() => rmSync(root, { recursive: true, force: true }))

  // A path inside the stage's filesystem, as a directory of this machine.
  const inStage = (s: Stage, path: string) => join(s.dir, relative(s.workdir, resolve(s.workdir, path)))

  for (const { op, args } of instructions(await Bun.file(join(context, 'Dockerfile')).text())) {
    if (op === 'FROM') {
      const name = /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? String(stages.size)
      stage = { name, workdir: '/', dir: join(root, name), env: {} }
      mkdirSync(stage.dir)
      stages.set(name, stage)
      continue
    }
    if (!stage) throw new Error(`${op} before FROM`)
    const current = stage
    switch (op) {
      case 'WORKDIR':
        current.workdir = resolve(current.workdir, args)
        break
      case 'ENV':
        for (const [, key = '', value = ''] of args.matchAll(/(\w+)=(\S+)/g)) current.env[key] = value
        break
      case 'COPY': {
        // Flags (--from=stage, --chown=…, --link) lead; ownership and layering do not matter here.
        const words = args.split(/\s+/)
        const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length)
        const sources = words.filter((word) => !word.startsWith('--'))
        const dest = sources.pop() ?? ''
        const source = from === undefined ? undefined : stages.get(from)
        if (from !== undefined && !source) throw new Error(`COPY --from=${from}: no such stage`)
        for (const path of sources) {
          const target = inStage(current, sources.length > 1 || dest.endsWith('/') ? join(dest, path) : dest)
          if (source) {
            cpSync(inStage(source, path), target, { recursive: true, verbatimSymlinks: true })
            continue
          }
          if (ignored(path) || !existsSync(join(context, path))) throw new Error(`COPY ${path}: not in the build context`)
          mkdirSync(dirname(target), { recursive: true })
          cpSync(join(context, path), target, {
            recursive: true,
            filter: (file) => !ignored(relative(context, file)),
          })
        }
        break
      }
      case 'RUN':
        // Only the install is replayed: the rest (directories, their owner) needs the image's users.
        if (args.startsWith('bun install')) {
          const proc = Bun.spawn(['sh', '-c', args], { cwd: current.dir, stdout: 'pipe', stderr: 'pipe' })
          const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
          if (code !== 0) throw new Error(`RUN ${args} failed (${code}) in stage ${current.name}:\n${out}${err}`)
        }
        break
      case 'CMD':
        current.cmd = exec(args)
        break
      case 'HEALTHCHECK':
        current.healthcheck = exec(args.slice(args.indexOf('CMD ') + 4))
        break
      case 'USER':
      case 'EXPOSE':
        break
      default:
        throw new Error(`Dockerfile: ${op} is not replayed here; teach deploy/image.test.ts what it does`)
    }
  }
  if (!stage) throw new Error('Dockerfile has no FROM')
  return stage
}

test(
  'the image, built from its Dockerfile without Docker, installs, starts and passes its health check',
  async () => {
    const image = await replay(REPO_ROOT)
    expect(statSync(join(image.dir, 'node_modules')).isDirectory()).toBe(true)
    const [program, entry] = image.cmd ?? []
    expect(program).toBe('bun')

    // Every module of the build: those consuming users' events must run beside it without Redis.
    const build = await buildDatabases()
    cleanups.push(build.drop)
    const port = String(freePort())
    const app = startApp(
      // The image runs as production, where payments go through Stripe (its dev provider is refused there).
      { ...image.env, ...build.env, PORT: port, LOG_LEVEL: 'warn', PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_image', STRIPE_WEBHOOK_SECRET: 'whsec_image' },
      entry,
      image.dir,
    )
    cleanups.push(() => app.child.kill('SIGKILL'))
    await app.waitUntilReady()

    const [checker, ...checkArgs] = image.healthcheck ?? []
    expect(checker).toBe('bun')
    const check = Bun.spawn([process.execPath, ...checkArgs], { cwd: image.dir, env: { PATH: process.env.PATH ?? '', PORT: port } })
    expect(await check.exited).toBe(0)
  },
  120_000,
)

test("the image's last stage installs Debian's ffmpeg (and ffprobe): VODs, clips and thumbnails need it", async () => {
  const all = instructions(await Bun.file(join(REPO_ROOT, 'Dockerfile')).text())
  const last = all.slice(all.findLastIndex(({ op }) => op === 'FROM'))
  const installs = last.filter(({ op, args }) => op === 'RUN' && /\bapt-get install\b/.test(args)).map(({ args }) => args)
  expect(installs).toEqual([expect.stringMatching(/apt-get install -y --no-install-recommends (\S+ )*ffmpeg\b/)])
  // Before USER: apt-get needs root.
  expect(last.findIndex(({ args }) => installs.includes(args))).toBeLessThan(last.findIndex(({ op }) => op === 'USER'))
})
