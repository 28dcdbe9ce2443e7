import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

/**
 * Where a worker thread's code lives. Built code (`dist/`) runs the compiled `.js` file; tests and
 * `tsx` run TypeScript sources, so the thread first registers tsx's loader and then imports the `.ts` file.
 */
export function threadEntry(moduleUrl: string, baseName: string): URL {
  if (!moduleUrl.endsWith('.ts')) return new URL(`./${baseName}.js`, moduleUrl)
  const source = new URL(`./${baseName}.ts`, moduleUrl).href
  // The `require` condition resolves tsx's CommonJS build; its ESM twin sits beside it.
  const tsxApi = createRequire(moduleUrl)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs')
  const bootstrap = `import { register } from ${JSON.stringify(pathToFileURL(tsxApi).href)}; register(); await import(${JSON.stringify(source)})`
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`)
}
