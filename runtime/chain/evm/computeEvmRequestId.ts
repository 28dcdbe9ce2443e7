import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes, type Hex, hexToBytes } from '../../enclave/bytes.js'

export type ComputeEvmRequestIdParameters = {
  chainId: bigint
  /** The consumer contract (20 bytes). */
  consumer: Hex
  nonce: bigint
  /** Who asked the consumer (20 bytes). */
  requester: Hex
  functionId: Hex
  /** keccak256 of the payload. */
  payloadHash: Hex
}

/**
 * The id `TeefnConsumer` gives a request: keccak256(abi.encode(chainid, consumer, uint64 nonce, requester,
 * functionId, payloadHash)). It commits to the question, not only to its place in line: after a reorg another
 * request with the same nonce gets another id, and a job that names this id with another payload is a lie.
 */
export function computeEvmRequestId({
  chainId,
  consumer,
  nonce,
  requester,
  functionId,
  payloadHash,
}: ComputeEvmRequestIdParameters): Hex {
  return bytesToHex(
    keccak_256(
      concatBytes(
        word(chainId),
        padded(consumer, 20),
        word(nonce),
        padded(requester, 20),
        padded(functionId, 32),
        padded(payloadHash, 32),
      ),
    ),
  )
}

function word(value: bigint): Uint8Array {
  if (value < 0n || value >= 1n << 256n) throw new RangeError('a request id field is not a uint256')
  return hexToBytes(`0x${value.toString(16).padStart(64, '0')}`)!
}

function padded(value: Hex, length: number): Uint8Array {
  const bytes = hexToBytes(value)
  if (bytes?.length !== length) throw new RangeError(`a request id field is not ${length} bytes of hex`)
  const out = new Uint8Array(32)
  out.set(bytes, 32 - length)
  return out
}
