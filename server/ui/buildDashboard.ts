import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { bundleDashboard } from './bundleDashboard.js'

/** The dashboard's static files, copied as they are next to the bundle. */
export const dashboardStaticFiles = ['index.html', 'dashboard.css'] as const

/**
 * `npm run build`'s step for the dashboard, run from `dist/server/ui/`: bundles `server/ui/src/main.ts` into
 * `dist/server/ui/dashboard.js` and copies the page and its stylesheet beside it, where the UI plugin of the
 * built server looks for them.
 */
async function buildDashboard(): Promise<void> {
  const sources = new URL('../../../server/ui/', import.meta.url)
  const target = new URL('./', import.meta.url)
  await mkdir(target, { recursive: true })
  await writeFile(
    new URL('dashboard.js', target),
    await bundleDashboard(fileURLToPath(new URL('src/main.ts', sources))),
  )
  for (const file of dashboardStaticFiles) await copyFile(new URL(file, sources), new URL(file, target))
}

await buildDashboard()
