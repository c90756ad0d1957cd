import { Hono } from 'hono'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { AppEnv } from './env.ts'

/**
 * The API reference (`/docs`): Swagger UI from the installed `swagger-ui-dist` (pinned in
 * package.json; a static bundle with no runtime dependency), served from this origin, so the
 * page renders offline and loads no script another host could change. Its CSP allows scripts
 * and styles from this origin only; the one script of ours is a file too, so no inline code.
 */
const DIST = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
const VERSION = (JSON.parse(readFileSync(join(DIST, 'package.json'), 'utf8')) as { version: string }).version

// The package's files /docs uses, each with a fixed content type (never guessed from a name).
const PACKAGE_ASSETS = new Map([
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['swagger-ui.css', 'text/css; charset=utf-8'],
])

// Reads the spec's address from the page, so the script is the same for any mount.
const START_SCRIPT = `"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: true,
    // Swagger UI would otherwise send the spec's address to an online validator.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
`
const START_SCRIPT_NAME = `start-${new Bun.CryptoHasher('sha256').update(START_SCRIPT).digest('hex').slice(0, 12)}.js`

/** The docs page's policy: everything from this origin, images also inline (Swagger UI's icons are data: URIs). */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

// Versioned (or content-named) addresses: a year's caching, never a stale file after an upgrade.
const IMMUTABLE = 'public, max-age=31536000, immutable'

const escapeAttribute = (value: string) =>
  value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

function page(base: string, spec: string, title: string): string {
  const assets = `${base}/assets/${VERSION}`
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeAttribute(title)}</title>
    <link rel="stylesheet" href="${assets}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui" data-spec="${escapeAttribute(spec)}"></div>
    <script src="${assets}/swagger-ui-bundle.js"></script>
    <script src="${base}/assets/${START_SCRIPT_NAME}"></script>
  </body>
</html>
`
}

/**
 * The API reference's routes, to mount at `base`: the page, the package's assets under
 * `<base>/assets/<version>/`, and the start script.
 *
 * @example
 * app.route('/docs', apiReference({ base: '/docs', spec: '/openapi.json', title: 'Ondes API' }))
 */
export function apiReference(options: { base: string; spec: string; title: string }): Hono<AppEnv> {
  const html = page(options.base, options.spec, options.title)
  const docs = new Hono<AppEnv>()
  docs.get('/', (c) => c.html(html, 200, { 'content-security-policy': DOCS_CONTENT_SECURITY_POLICY }))
  docs.get(`/assets/${START_SCRIPT_NAME}`, (c) =>
    c.body(START_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': IMMUTABLE }),
  )
  docs.get('/assets/:version/:file', (c) => {
    const type = PACKAGE_ASSETS.get(c.req.param('file'))
    if (c.req.param('version') !== VERSION || type === undefined) return c.notFound()
    return new Response(Bun.file(join(DIST, c.req.param('file'))), {
      headers: { 'content-type': type, 'cache-control': IMMUTABLE },
    })
  })
  return docs
}
