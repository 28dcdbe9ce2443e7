import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, concatBytes, type Hex, hexToBytes, leftPad32, uint256Bytes } from '../../bytes.js'
import { BaseError } from '../../errors/BaseError.js'

export type ComputeEvmRequestIdParameters = {
  chainId: bigint | number
  /** The consumer contract that issued the request. */
  consumer: string
  /** The consumer's request counter when the request was made (uint64). */
  nonce: bigint | number
  /** The account that called into the consumer (`RequestSent.requester`). */
  requester: string
  /** bytes32 hex. */
  functionId: string
  /** keccak256 of the request's payload, bytes32 hex. */
  payloadHash: string
}

const maxUint64 = (1n << 64n) - 1n
const maxUint256 = (1n << 256n) - 1n

/**
 * The id `TeefnConsumer` gives a request: `keccak256(abi.encode(uint256 chainId, address consumer,
 * uint64 nonce, address requester, bytes32 functionId, bytes32 payloadHash))`, as `computeRequestId` on chain.
 * It commits to the question, not only to its place in line: after a reorg another request with the same
 * nonce gets another id, and a job that names this id with another payload is a lie. Encoded by hand (six
 * static words): the worker computes it for every request.
 *
 * @throws BaseError `REQUEST_ID_PARAMETERS_INVALID` when a field is out of its Solidity type's range.
 */
export function computeEvmRequestId(parameters: ComputeEvmRequestIdParameters): Hex {
  const chainId = BigInt(parameters.chainId)
  const nonce = BigInt(parameters.nonce)
  const consumer = fixedBytes(parameters.consumer, 20)
  const requester = fixedBytes(parameters.requester, 20)
  const functionId = fixedBytes(parameters.functionId, 32)
  const payloadHash = fixedBytes(parameters.payloadHash, 32)
  const invalid = [
    (chainId < 0n || chainId > maxUint256) && `chainId ${chainId} is not a uint256`,
    (nonce < 0n || nonce > maxUint64) && `nonce ${nonce} is not a uint64`,
    !consumer && `consumer ${parameters.consumer} is not an address`,
    !requester && `requester ${parameters.requester} is not an address`,
    !functionId && `functionId ${parameters.functionId} is not 32 bytes of hex`,
    !payloadHash && `payloadHash ${parameters.payloadHash} is not 32 bytes of hex`,
  ].filter((problem): problem is string => typeof problem === 'string')
  if (invalid.length > 0) {
    throw new BaseError('Cannot compute the request id.', {
      code: 'REQUEST_ID_PARAMETERS_INVALID',
      details: invalid.join('; '),
      hint: 'Pass the fields of the RequestSent log (and keccak256 of its payload) as they are.',
    })
  }
  return bytesToHex(
    keccak_256(
      concatBytes(
        uint256Bytes(chainId),
        leftPad32(consumer!),
        uint256Bytes(nonce),
        leftPad32(requester!),
        functionId!,
        payloadHash!,
      ),
    ),
  )
}

function fixedBytes(value: string, length: number): Uint8Array | undefined {
  const bytes = typeof value === 'string' ? hexToBytes(value) : undefined
  return bytes?.length === length ? bytes : undefined
}
