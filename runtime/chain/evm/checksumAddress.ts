import { getAddress } from 'viem'
import type { Hex } from '../../bytes.js'

const known = new Map<string, Hex>()

/**
 * EIP-55 form of an address, remembered: checksumming costs a keccak, and the addresses the relayer sees
 * over and over (consumers, workers) are few. Bounded.
 */
export function checksumAddress(address: string): Hex {
  const key = address.toLowerCase()
  let value = known.get(key)
  if (!value) {
    value = getAddress(key)
    if (known.size >= 1_000) known.clear()
    known.set(key, value)
  }
  return value
}
