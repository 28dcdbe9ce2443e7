import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

/**
 * Compiles the QuickJS wasm once, so pool threads instantiate it without compiling it again. Apart from
 * `quickjsEngine.ts` so that the thread that owns the pool does not load quickjs-emscripten: only its
 * sandbox threads use it.
 */
export async function compileQuickJSWasm(): Promise<WebAssembly.Module> {
  const require = createRequire(import.meta.url)
  const bytes = await readFile(require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm'))
  return WebAssembly.compile(bytes)
}
