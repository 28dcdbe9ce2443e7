import { fileURLToPath } from 'node:url'
import { bundleFunction } from '../../cli/build/bundleFunction.js'

/** Bundles a function folder's `index.ts` exactly as `teefn build` does, and returns its code and codeHash. */
export async function loadExampleFunction(folderUrl: string): Promise<{ code: string; codeHash: string }> {
  const { code, codeHash } = await bundleFunction({ entry: fileURLToPath(new URL('./index.ts', folderUrl)) })
  return { code, codeHash }
}
