import { mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { bundleFunction } from '../build/bundleFunction.js'
import { printJson } from '../printJson.js'

export type BuildOptions = { output?: string; minify?: boolean; json?: boolean; compat?: CompatMode }

/** `teefn build <entry>`: bundles a function into one ES module and prints its size and codeHash. */
export async function buildAction(entry: string, options: BuildOptions): Promise<void> {
  const bundle = await bundleFunction({ entry, minify: options.minify, compat: options.compat })
  const output = options.output ?? join(dirname(entry), 'dist', `${basename(entry, extname(entry))}.js`)
  await mkdir(dirname(output), { recursive: true })
  await writeFile(output, bundle.bytes)
  if (options.json) {
    printJson({
      file: output,
      bytes: bundle.bytes.byteLength,
      codeHash: bundle.codeHash,
      ...(options.compat ? { compat: options.compat } : {}),
    })
  } else {
    process.stdout.write(`${output}  ${formatSize(bundle.bytes.byteLength)}\ncodeHash ${bundle.codeHash}\n`)
  }
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}
