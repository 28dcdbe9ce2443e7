import { build } from 'esbuild'

/**
 * Bundles the dashboard's module (`server/ui/src/main.ts` and what it imports: the repository's own envelope
 * types and viem's typed-data recovery) into one minified ES module for browsers, with no imports left: the
 * page loads nothing from elsewhere. `npm run build` writes it into `dist/server/ui/`; from the sources (tsx,
 * vitest) the UI plugin bundles it once, on first request.
 */
export async function bundleDashboard(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}
