import { AbiCoder, isAddress, isHexString, keccak256 } from 'ethers'
import { BaseError } from '../runtime/errors/BaseError.js'

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
  /** keccak256 of the request's payload (`hashPayload`), bytes32 hex. */
  payloadHash: string
}

const UINT64_MAX = (1n << 64n) - 1n

/**
 * The id `TeefnConsumer` gives a request: `keccak256(abi.encode(uint256 chainId, address consumer,
 * uint64 nonce, address requester, bytes32 functionId, bytes32 payloadHash))`, as `computeRequestId` on chain.
 * It commits to the request's content, so whoever holds an id can check a `RequestSent` log against it.
 *
 * @throws BaseError `REQUEST_ID_PARAMETERS_INVALID` when a field is out of its Solidity type's range.
 */
export function computeEvmRequestId(parameters: ComputeEvmRequestIdParameters): string {
  const { chainId, consumer, nonce, requester, functionId, payloadHash } = parameters
  const invalid = [
    BigInt(chainId) < 0n && 'chainId is negative',
    (BigInt(nonce) < 0n || BigInt(nonce) > UINT64_MAX) && `nonce ${nonce} is not a uint64`,
    !isAddress(consumer) && `consumer ${consumer} is not an address`,
    !isAddress(requester) && `requester ${requester} is not an address`,
    !isHexString(functionId, 32) && `functionId ${functionId} is not 32 bytes of hex`,
    !isHexString(payloadHash, 32) && `payloadHash ${payloadHash} is not 32 bytes of hex`,
  ].filter((problem): problem is string => typeof problem === 'string')
  if (invalid.length > 0) {
    throw new BaseError('Cannot compute the request id.', {
      code: 'REQUEST_ID_PARAMETERS_INVALID',
      details: invalid.join('; '),
      hint: 'Pass the fields of the RequestSent log (and keccak256 of its payload) as they are.',
    })
  }
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ['uint256', 'address', 'uint64', 'address', 'bytes32', 'bytes32'],
      [chainId, consumer, nonce, requester, functionId, payloadHash],
    ),
  )
}
