import { keccak_256 } from '@noble/hashes/sha3.js'
import { getAddress } from 'ethers'
import {
  bytesToHex,
  concatBytes,
  type Hex,
  hexToBytes,
  isHexBytes,
  leftPad32,
  uint256Bytes,
  utf8,
} from '../bytes.js'
import { describeForm } from './describeForm.js'
import { FunctionScopeError } from './FunctionScopeError.js'

/**
 * Where a function lives: its chain, the registry that names its code and owner, and its functionId. Function
 * keys, secrets and owner records belong to a scope, never to a bare functionId: the same functionId on another
 * chain or registry (which anyone can deploy) is another function.
 */
export type FunctionScope = {
  family: 'evm' | 'substrate'
  /** evm: the chain id as a decimal string. substrate: the 0x genesis hash (32 bytes). */
  chainId: string
  /** evm: the 20-byte registry address. substrate: `0x` (no registry contract: the operator-pinned map). */
  registry: Hex
  /** bytes32. */
  functionId: Hex
}

/** Domain tag of `scopeId`. */
export const functionScopeTag = 'teefn/function-scope/v1'

const tagBytes = utf8(functionScopeTag)
const maxUint256 = (1n << 256n) - 1n
const familyBytes = { evm: 0, substrate: 1 } as const

/**
 * Checks a scope strictly and returns its canonical form: lowercase hex everywhere, chainId without leading
 * zeros. Throws `FunctionScopeError` naming the first bad field. Unknown fields are dropped.
 */
export function parseFunctionScope(value: unknown): FunctionScope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FunctionScopeError('scope', `must be an object, got ${describeForm(value)}`)
  }
  const { family, chainId, registry, functionId } = value as Record<string, unknown>
  if (family !== 'evm' && family !== 'substrate') {
    throw new FunctionScopeError('family', `must be "evm" or "substrate", got ${describeForm(family)}`)
  }
  const evm = family === 'evm'
  if (evm) {
    if (typeof chainId !== 'string' || !/^[1-9][0-9]{0,77}$/.test(chainId) || BigInt(chainId) > maxUint256) {
      throw new FunctionScopeError(
        'chainId',
        `must be a positive decimal chain id (uint256, no leading zeros) for evm, got ${describeForm(chainId)}`,
      )
    }
  } else if (!isHexBytes(chainId, 32)) {
    throw new FunctionScopeError(
      'chainId',
      `must be the 32-byte genesis hash (0x-hex) for substrate, got ${describeForm(chainId)}`,
    )
  }
  if (evm) {
    if (!isHexBytes(registry, 20)) {
      throw new FunctionScopeError(
        'registry',
        `must be the 20-byte registry address (0x-hex) for evm, got ${describeForm(registry)}`,
      )
    }
    if (!checksumValid(registry)) {
      throw new FunctionScopeError(
        'registry',
        'has mixed case with a wrong EIP-55 checksum: a mistyped address',
      )
    }
  } else if (registry !== '0x') {
    throw new FunctionScopeError(
      'registry',
      `must be "0x" for substrate (there is no registry contract), got ${describeForm(registry)}`,
    )
  }
  if (!isHexBytes(functionId, 32)) {
    throw new FunctionScopeError(
      'functionId',
      `must be bytes32 (0x + 64 hex digits), got ${describeForm(functionId)}`,
    )
  }
  return {
    family,
    chainId: evm ? (chainId as string) : (chainId as string).toLowerCase(),
    registry: registry.toLowerCase() as Hex,
    functionId: functionId.toLowerCase() as Hex,
  }
}

/**
 * The 32-byte identity of a scope, lowercase 0x-hex:
 * keccak256("teefn/function-scope/v1" || family (1 byte: 0 evm, 1 substrate) || chainId (32 bytes: evm uint256
 * big-endian, substrate the genesis hash) || registry left-padded to 32 bytes (zero for substrate) || functionId).
 * Validates the scope first (`parseFunctionScope`), so a malformed scope never gets an id.
 */
export function scopeId(scope: FunctionScope): Hex {
  return bytesToHex(scopeIdBytes(scope))
}

/** `scopeId` as bytes, for callers that hash or encrypt with it. */
export function scopeIdBytes(scope: FunctionScope): Uint8Array {
  const { family, chainId, registry, functionId } = parseFunctionScope(scope)
  const chain = family === 'evm' ? uint256Bytes(BigInt(chainId)) : hexToBytes(chainId)!
  return keccak_256(
    concatBytes(
      tagBytes,
      Uint8Array.of(familyBytes[family]),
      chain,
      leftPad32(hexToBytes(registry)!),
      hexToBytes(functionId)!,
    ),
  )
}

/** All-lowercase (or all-uppercase) addresses carry no checksum; a mixed-case one must be valid EIP-55. */
function checksumValid(address: Hex): boolean {
  const digits = address.slice(2)
  if (digits === digits.toLowerCase() || digits === digits.toUpperCase()) return true
  try {
    return getAddress(address) === address
  } catch {
    return false
  }
}
