import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ApiError } from '../ApiError.js'
import { errorResponses } from '../schemas.js'

/** Only the page's own files: no inline script or style, no other origin, no framing. */
export const dashboardContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const assets = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
} as const
type Asset = keyof typeof assets

/**
 * The web dashboard at `/ui`: a static page, its stylesheet and one module that reads the public API (and, with
 * the operator key typed into the page, HTTP jobs). The files come from `server/ui/` beside this plugin: built
 * (`dist/server/ui/dashboard.js`) or, from the sources, bundled once on first request.
 */
export const uiPlugin: FastifyPluginAsyncTypebox = async (app) => {
  const directory = new URL('../ui/', import.meta.url)
  const loaded = new Map<Asset, Promise<string>>()
  const load = (asset: Asset): Promise<string> => {
    let text = loaded.get(asset)
    if (!text) {
      text = loadAsset(directory, asset)
      // A failed load is tried again next time (an esbuild restart, a build finishing).
      text.catch(() => loaded.delete(asset))
      loaded.set(asset, text)
    }
    return text
  }
  const serve = (url: string, asset: Asset) =>
    app.get(
      url,
      {
        schema: {
          hide: true,
          summary: `The dashboard: ${asset}`,
          response: { 200: Type.String(), ...errorResponses(404, 429) },
        },
      },
      async (_request, reply) => {
        const text = await load(asset)
        reply
          .header('content-type', assets[asset])
          .header('content-security-policy', dashboardContentSecurityPolicy)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .header('cache-control', 'no-cache')
        return text
      },
    )
  serve('/ui', 'index.html')
  serve('/ui/', 'index.html')
  serve('/ui/dashboard.css', 'dashboard.css')
  serve('/ui/dashboard.js', 'dashboard.js')
}

async function loadAsset(directory: URL, asset: Asset): Promise<string> {
  const file = new URL(asset, directory)
  if (existsSync(file)) return readFile(file, 'utf8')
  const entry = new URL('src/main.ts', directory)
  if (asset === 'dashboard.js' && existsSync(entry)) {
    // Only when running from the sources: a built node reads the bundle `npm run build` wrote.
    const { bundleDashboard } = await import('../ui/bundleDashboard.js')
    return bundleDashboard(fileURLToPath(entry))
  }
  throw new ApiError(`the dashboard's ${asset} is not built.`, {
    code: 'NOT_FOUND',
    hint: 'Run `npm run build`.',
  })
}
