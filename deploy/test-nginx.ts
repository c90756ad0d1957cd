/**
 * Debian's real nginx for tests: checks and runs a rendered gateway config on a loopback
 * port, with every path nginx writes under a temporary prefix.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The nginx binary, or undefined with a loud note that `what` was skipped. With
 * `REQUIRE_NGINX=1` (CI) a missing nginx is a failure, never a skip.
 */
export function testNginx(what: string): string | undefined {
  // /usr/sbin is not on every user's PATH.
  const nginx = Bun.which('nginx', { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin` })
  if (nginx) return nginx
  if (process.env.REQUIRE_NGINX === '1') throw new Error(`REQUIRE_NGINX=1 but nginx is not installed (needed by: ${what})`)
  console.warn(`SKIPPED (nginx not installed; apt-get install -y nginx): ${what}`)
  return undefined
}

/** A prefix holding nginx.conf, which wraps the gateway config as the official nginx image's main config does. */
function preparePrefix(gatewayConfig: string): { dir: string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ondes-nginx-'))
  writeFileSync(join(dir, 'gateway.conf'), gatewayConfig)
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      // Workers must reach this 0700 directory; `user` is ignored (with a warning) unless root.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      // As the official image's nginx.conf: one worker per core.
      'worker_processes auto;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events {}',
      'http {',
      `  access_log ${dir}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind}_temp;`),
      `  include ${dir}/gateway.conf;`,
      '}',
      '',
    ].join('\n'),
  )
  return { dir, args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')] }
}

/** `nginx -t` on a gateway config: whether nginx accepts it, and what it said. */
export async function checkNginxConfig(nginx: string, gatewayConfig: string): Promise<{ ok: boolean; output: string }> {
  const { dir, args } = preparePrefix(gatewayConfig)
  try {
    const stdout = stdoutFile(dir)
    const proc = Bun.spawn([nginx, '-t', ...args], { stdout: stdout.fd, stderr: 'pipe' })
    closeSync(stdout.fd)
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
    return { ok: code === 0, output: stdout.read() + stderr }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export type RunningNginx = {
  /** What nginx wrote to its stdout so far: the gateway's access log, as a container's log. */
  stdout: () => string
  stop: () => Promise<void>
}

/**
 * A file as nginx's stdout. The config logs to /dev/stdout, which nginx opens anew: a FIFO (as
 * Docker gives) or a file can be, the socket pair of a `pipe` cannot (ENXIO).
 */
function stdoutFile(dir: string): { fd: number; read: () => string } {
  const path = join(dir, 'stdout.log')
  const fd = openSync(path, 'a')
  return { fd, read: () => (existsSync(path) ? readFileSync(path, 'utf8') : '') }
}

/** Starts nginx in the foreground on a gateway config; resolves once `healthUrl` answers. */
export async function startNginx(nginx: string, gatewayConfig: string, healthUrl: string): Promise<RunningNginx> {
  const { dir, args } = preparePrefix(gatewayConfig)
  const stdout = stdoutFile(dir)
  const proc = Bun.spawn([nginx, ...args, '-g', 'daemon off;'], { stdout: stdout.fd, stderr: 'ignore' })
  closeSync(stdout.fd)
  const stop = async () => {
    proc.kill('SIGTERM')
    await proc.exited
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitFor(healthUrl, proc)
  } catch (error) {
    const log = await Bun.file(join(dir, 'error.log')).text().catch(() => '')
    await stop()
    throw new Error(`nginx did not start: ${(error as Error).message}\n${log}`)
  }
  return { stdout: stdout.read, stop }
}

async function waitFor(url: string, proc: { exitCode: number | null }, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`exited with code ${proc.exitCode}`)
    if (await fetch(url).then((r) => r.ok, () => false)) return
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
    await Bun.sleep(50)
  }
}
