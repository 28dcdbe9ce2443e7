import { basename, dirname, extname } from 'node:path'
import { id } from 'ethers'
import { UsageError } from '../UsageError.js'

export type ResolveFunctionIdParameters = {
  /** `--function-id`: taken as is. */
  functionId?: string | undefined
  /** `--name`: the id is keccak256 of its UTF-8 bytes. */
  name?: string | undefined
  /** The function's entry: its name is the default `--name`. */
  entry: string
}

/**
 * The functionId `teefn chain register` registers: `--function-id`, else keccak256 of `--name`, else keccak256 of
 * the entry's name (`priceFeed` for `priceFeed.ts`; the folder's name for an `index` file, `src` skipped). The
 * same name always gives the same id; the first to register it owns it.
 */
export function resolveFunctionId({ functionId, name, entry }: ResolveFunctionIdParameters): {
  functionId: `0x${string}`
  name: string | undefined
} {
  if (functionId !== undefined && name !== undefined)
    throw new UsageError('pass --function-id or --name, not both')
  if (functionId !== undefined) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(functionId) || /^0x0{64}$/.test(functionId)) {
      throw new UsageError('--function-id must be a non-zero bytes32 (0x + 64 hex digits)')
    }
    return { functionId: functionId.toLowerCase() as `0x${string}`, name: undefined }
  }
  const chosen = name ?? defaultName(entry)
  if (chosen.trim() === '') throw new UsageError('--name must not be empty')
  return { functionId: id(chosen) as `0x${string}`, name: chosen }
}

function defaultName(entry: string): string {
  let stem = basename(entry, extname(entry))
  let folder = dirname(entry)
  if (stem === 'index') {
    if (basename(folder) === 'src' || basename(folder) === 'dist') folder = dirname(folder)
    stem = basename(folder)
  }
  return stem
}
