import type { Hex } from './bytes.js'
import { hexToBytes } from './bytes.js'
import { TeeProviderError } from './TeeProviderError.js'

/**
 * The key path of a function: `teefn/functions/<functionId as lowercase 0x-hex>`. dstack derives the
 * function key with `getKey` under it (the same on every worker of the app); dev uses it as HKDF info.
 */
export function functionKeyPath(functionId: Hex): string {
  const bytes = typeof functionId === 'string' ? hexToBytes(functionId) : undefined
  if (bytes?.length !== 32) {
    throw new TeeProviderError('functionId must be 32 bytes of 0x-prefixed hex.', {
      code: 'TEE_INVALID_INPUT',
      details: `got ${bytes ? `${bytes.length} bytes` : typeof functionId === 'string' ? 'no 0x-prefixed hex' : typeof functionId}`,
    })
  }
  return `teefn/functions/${functionId.toLowerCase()}`
}
