import { extname } from 'node:path'
import type { CompatMode } from '../../runtime/compat/compatMode.js'
import { computeCodeHash } from '../../runtime/store/computeCodeHash.js'
import { readInputFile } from '../readInputFile.js'
import { bundleFunction } from './bundleFunction.js'

export type FunctionCodeParameters = {
  /** An entry (.ts, .js) or a bundle `teefn build` wrote. */
  entry: string
  minify?: boolean | undefined
  /** Build a source written for another platform (`--compat`); it is always bundled then. */
  compat?: CompatMode | undefined
}

export type FunctionCodeReturnType = {
  bytes: Uint8Array
  codeHash: `0x${string}`
  /** Whether the bytes are esbuild's bundle (false: the file as it is). */
  bundled: boolean
}

/**
 * The bytes a function runs as, and their codeHash: the bundle of `entry`, except that a self-contained .js file
 * (a bundle already) is taken byte for byte, so its codeHash is the one `teefn build` printed. What `teefn deploy`
 * uploads and `teefn chain register` registers.
 */
export async function functionCode({
  entry,
  minify,
  compat,
}: FunctionCodeParameters): Promise<FunctionCodeReturnType> {
  const source = await readInputFile(entry, 'function')
  const bundle = await bundleFunction({ entry, minify, compat })
  const asIs = bundle.importedFiles === 0 && !minify && !compat && ['.js', '.mjs'].includes(extname(entry))
  const bytes = asIs ? new Uint8Array(source) : bundle.bytes
  return { bytes, codeHash: computeCodeHash(bytes), bundled: !asIs }
}
