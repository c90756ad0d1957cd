/**
 * `bun run gateway:config`: writes deploy/nginx/gateway.conf, the split-mode nginx gateway,
 * from the prefixes and WebSocket paths the modules declare. `renderGatewayConfig` is pure
 * so tests can render it for fixture modules and local upstreams.
 */
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import type { ModuleDefinition } from '../src/platform/module.ts'
import { modules } from '../src/modules.ts'

export const GATEWAY_CONFIG_PATH = resolve(import.meta.dir, '../deploy/nginx/gateway.conf')

export type GatewayModule = Pick<ModuleDefinition, 'name' | 'prefixes' | 'websocket'>

export type GatewayOptions = {
  /** nginx `listen` value; 80 inside the gateway container. */
  listen?: string
  /**
   * host:port per module; the default is the compose service, `<name>:3000`. A host name is
   * re-resolved while nginx runs (`server … resolve`, open-source nginx ≥ 1.27.3); an IP
   * literal is used as it is, so a config whose upstreams are all IP literals also runs on
   * Debian's nginx 1.22 (tests, bench) and differs from the committed one only there.
   */
  upstreams?: Partial<Record<string, string>>
  /**
   * host:port of the ingest service's HTTP side (nginx-rtmp's HLS output), served under
   * `/hls/<login>/`; the default is the compose service, `ingest:8088`.
   */
  hls?: string
}

// Playback, from the media server rather than a module: /hls/<login>/index.m3u8.
const HLS_PATH = '/hls'

// Anything else would be nginx syntax, not a path.
const SAFE_PATH = /^\/[A-Za-z0-9._~\-/]*$/

// Each process's own: Prometheus scrapes every container's metrics listener, never the gateway.
const UNROUTED = ['/metrics']

function checkPath(module: string, path: string): string {
  if (!SAFE_PATH.test(path) || path.includes('//') || (path.length > 1 && path.endsWith('/'))) {
    throw new Error(`${module}: "${path}" is not a gateway path (a /-rooted path of [A-Za-z0-9._~-] segments, no trailing /)`)
  }
  const unrouted = UNROUTED.find((own) => path === own || path.startsWith(`${own}/`))
  if (unrouted !== undefined) throw new Error(`${module}: "${path}" is never routed by the gateway (${unrouted} is each process's own)`)
  return path
}

const upstreamName = (module: string) => `ondes_${module}`

/** `server` line: names are re-resolved (new replicas, recreated containers), IP literals kept. */
function serverLine(hostPort: string): string {
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')
  return isIP(host) === 0 ? `server ${hostPort} resolve;` : `server ${hostPort};`
}

const PROXY_HEADERS = [
  'proxy_set_header Host $host;',
  // The gateway is the edge: it replaces, not appends, so the one hop the app (TRUST_PROXY=true)
  // reads, the right-most, is the client's address and no hop the client wrote reaches it.
  'proxy_set_header X-Forwarded-For $remote_addr;',
  'proxy_set_header X-Forwarded-Proto $scheme;',
  'proxy_set_header X-Request-Id $gateway_request_id;',
]

// nginx drops inherited proxy_set_header lines in a location that sets its own, so the
// WebSocket location repeats them all.
const WEBSOCKET_HEADERS = [
  ...PROXY_HEADERS,
  'proxy_set_header Upgrade $http_upgrade;',
  'proxy_set_header Connection $gateway_connection;',
  // Chat sockets idle between messages (IRC PING every few minutes).
  'proxy_read_timeout 1h;',
  'proxy_send_timeout 1h;',
]

const problem = (status: number, title: string, detail: string) =>
  `'${JSON.stringify({ type: `https://ondes.dev/problems/${title.toLowerCase().replaceAll(' ', '-')}`, title, status, detail })}'`

const block = (head: string, lines: string[]) => [`  ${head} {`, ...lines.map((line) => `    ${line}`), '  }']

// On the answers nginx makes itself, as the app puts them on its own (modules' answers carry theirs).
const OWN_ANSWER_HEADERS = [
  'add_header X-Content-Type-Options nosniff always;',
  'add_header Referrer-Policy no-referrer always;',
  'add_header Cache-Control no-store always;',
]

export function renderGatewayConfig(definitions: readonly GatewayModule[], options: GatewayOptions = {}): string {
  const owners = new Map<string, string>()
  const claim = (path: string, module: string) => {
    const owner = owners.get(path)
    if (owner) throw new Error(`${module}: "${path}" is already routed to ${owner}`)
    owners.set(path, module)
  }
  const prefixes = definitions.flatMap((d) => d.prefixes.map((prefix) => ({ module: d.name, path: checkPath(d.name, prefix) })))
  const sockets = definitions.flatMap((d) =>
    d.websocket === undefined ? [] : [{ module: d.name, path: checkPath(d.name, d.websocket) }],
  )
  claim(HLS_PATH, 'the ingest service (HLS)')
  for (const { module, path } of [...prefixes, ...sockets]) claim(path, module)
  // nginx picks the longest matching ^~ prefix itself; sorting keeps the file easy to read.
  prefixes.sort((a, b) => b.path.length - a.path.length || a.path.localeCompare(b.path))

  const upstreams = definitions.flatMap((d) => [
    `upstream ${upstreamName(d.name)} {`,
    // The zone shares the peers, and so what `resolve` finds, between workers.
    `  zone ${upstreamName(d.name)} 64k;`,
    `  ${serverLine(options.upstreams?.[d.name] ?? `${d.name}:3000`)}`,
    // Idle connections kept per worker, so a request need not open a new one to the module.
    '  keepalive 32;',
    // Under Bun's 10 s idle timeout, so nginx never picks a connection the app is just closing
    // (a POST that meets a closed connection is not retried: it would answer 503).
    '  keepalive_timeout 5s;',
    '}',
    '',
  ])
  const prefixLocations = prefixes.flatMap(({ module, path }) => {
    const pass = [`proxy_pass http://${upstreamName(module)};`]
    // `= /api/users` and `^~ /api/users/`: the prefix and what is under it, never `/api/usersx`.
    return [...block(`location = ${path}`, pass), ...block(`location ^~ ${path}/`, pass)]
  })
  const socketLocations = sockets.flatMap(({ module, path }) =>
    block(`location = ${path}`, [...WEBSOCKET_HEADERS, `proxy_pass http://${upstreamName(module)};`]),
  )

  return [
    '# Generated by `bun run gateway:config` from the modules\' declared prefixes: do not edit.',
    '# Split-mode gateway (DESIGN §1, §8). Upstream names are re-resolved through Docker\'s DNS',
    '# (`server … resolve`, nginx >= 1.27.3), so `--scale chat=3` replicas and recreated containers',
    '# are found without a reload, and the gateway starts even while a module is down (its paths',
    '# answer 503). Idle connections to each module are kept and reused.',
    '',
    'resolver 127.0.0.11 valid=10s ipv6=off;',
    'resolver_timeout 5s;',
    '',
    '# A WebSocket handshake asks the module to upgrade; any other request sends no Connection',
    '# header, so its upstream connection stays reusable.',
    'map $http_upgrade $gateway_connection {',
    '  default upgrade;',
    "  ''      '';",
    '}',
    '',
    '# Keep the client\'s request id, or make one, so gateway and app logs share it.',
    'map $http_x_request_id $gateway_request_id {',
    '  default $http_x_request_id;',
    "  ''      $request_id;",
    '}',
    '',
    '# One line per request, with that id and the module\'s address and time.',
    'log_format ondes_gateway \'$remote_addr [$time_local] "$request" $status $body_bytes_sent \'',
    '                         \'$request_time "$http_user_agent" request_id=$gateway_request_id \'',
    '                         \'upstream=$upstream_addr upstream_time=$upstream_response_time\';',
    '',
    ...upstreams,
    'server {',
    `  listen ${options.listen ?? '80'};`,
    '  server_tokens off;',
    '',
    '  # To the container\'s log, 4 KiB at a time (at most a second late) rather than one write per',
    '  # request; writes of at most PIPE_BUF (4 KiB) stay whole on Docker\'s log pipe, so two',
    '  # workers\' lines never interleave. Replaces the image\'s unbuffered access log.',
    '  access_log /dev/stdout ondes_gateway buffer=4k flush=1s;',
    '',
    '  # HTTP/1.1 and no `Connection: close` (nginx\'s default): upstream connections are kept.',
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    '  proxy_connect_timeout 5s;',
    ...PROXY_HEADERS.map((line) => `  ${line}`),
    '',
    '  # The gateway\'s own liveness; each module\'s /healthz and /readyz are checked per container.',
    ...block('location = /healthz', [...OWN_ANSWER_HEADERS, 'default_type application/json;', `return 200 '{"status":"ok"}';`]),
    '',
    ...prefixLocations,
    ...(socketLocations.length > 0 ? ['', ...socketLocations] : []),
    '',
    "  # HLS from the ingest service, which writes it under the login (never under the stream key).",
    '  # Through a variable, so its name is resolved per request: the gateway starts without the',
    "  # ingest service (HLS then answers 503), and on nginx without `server … resolve` (Debian's 1.22).",
    ...block(`location ^~ ${HLS_PATH}/`, [`set $ondes_hls ${options.hls ?? 'ingest:8088'};`, 'proxy_pass http://$ondes_hls;']),
    '',
    '  # Everything no module declares, /metrics included: Prometheus scrapes each container directly.',
    ...block('location /', [
      ...OWN_ANSWER_HEADERS,
      'default_type application/problem+json;',
      `return 404 ${problem(404, 'Not Found', 'No module serves this path')};`,
    ]),
    '',
    '  # A module that is down or too slow: a problem document, as the app itself would answer.',
    '  error_page 502 503 504 = @unavailable;',
    ...block('location @unavailable', [
      ...OWN_ANSWER_HEADERS,
      'default_type application/problem+json;',
      `return 503 ${problem(503, 'Service Unavailable', 'The module serving this path is unavailable; retry shortly')};`,
    ]),
    '}',
    '',
  ].join('\n')
}

if (import.meta.main) {
  await Bun.write(GATEWAY_CONFIG_PATH, renderGatewayConfig(modules))
  console.log(`gateway:config: wrote ${GATEWAY_CONFIG_PATH} (${modules.map((m) => m.name).join(', ')})`)
}
