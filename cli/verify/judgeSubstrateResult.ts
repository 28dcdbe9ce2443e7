import type { OnChainResult } from '../../relayer/substrate/readSubstrateResults.js'
import { EnvelopeError } from '../../runtime/enclave/EnvelopeError.js'
import type { Envelope } from '../../runtime/enclave/envelope.js'
import { verifyParsedEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import { describeVerifiedEnvelope } from './describeVerifiedEnvelope.js'
import type { VerifyOptions } from './VerifyOptions.js'

/** Where the request a valid result answers is on-chain. */
export type RequestLocation = {
  blockHash: string
  blockNumber: number
  extrinsicIndex: number
  sender: string | undefined
}

/** A refused result: why, for people and for scripts. */
export type RefusedVerdict = {
  valid: false
  requestId: string
  reason: string
  message: string
  details?: string | undefined
}

export type SubstrateVerdict =
  | (ReturnType<typeof describeVerifiedEnvelope> & { request: RequestLocation })
  | RefusedVerdict

/** What an envelope is checked against: the user's expectations and, with `worker`, its one signer. */
export type SubstrateExpectations = Pick<
  VerifyOptions,
  'worker' | 'chainId' | 'destination' | 'requestId' | 'functionId' | 'codeHash'
>

/**
 * One envelope of a result, judged against the chain: its signature for this chain's genesis hash, the user's
 * expectations, and the request it answers, found again in the block the result names (same requestId,
 * function and origin account as destination, on the canonical chain).
 */
export function judgeSubstrateResult(
  result: OnChainResult,
  chainId: string,
  expected: SubstrateExpectations,
  envelope: Envelope = result.envelope,
): SubstrateVerdict {
  const { request, reference } = result
  const refused = (reason: string, message: string, details?: string): RefusedVerdict => ({
    valid: false,
    requestId: envelope.requestId,
    reason,
    message,
    details,
  })
  if (expected.chainId !== undefined && expected.chainId.toLowerCase() !== chainId.toLowerCase()) {
    return refused(
      'WRONG_CHAIN',
      'The node serves another chain.',
      `genesis ${chainId}, expected ${expected.chainId}`,
    )
  }
  let verified: ReturnType<typeof verifyParsedEnvelope>
  try {
    verified = verifyParsedEnvelope(envelope, {
      worker: expected.worker,
      chainId,
      destination: expected.destination,
      requestId: expected.requestId,
      functionId: expected.functionId,
      codeHash: expected.codeHash,
    })
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error
    return refused(error.reason, error.shortMessage, error.details)
  }
  if (!request) {
    return refused(
      'REQUEST_NOT_FOUND',
      'The request this result answers is not on the chain.',
      `no teefn request with id ${envelope.requestId} in extrinsic ${reference.extrinsicIndex} of block ${reference.blockHash}`,
    )
  }
  if (!request.canonical) {
    return refused(
      'REQUEST_NOT_CANONICAL',
      'The request is in a block that is no longer on the chain.',
      request.blockHash,
    )
  }
  if (request.functionId.toLowerCase() !== envelope.functionId.toLowerCase()) {
    return refused(
      'WRONG_FUNCTION',
      'The result is for another function than the request asked.',
      `request ${request.functionId}, envelope ${envelope.functionId}`,
    )
  }
  if (request.destination.toLowerCase() !== envelope.destination.toLowerCase()) {
    return refused(
      'WRONG_DESTINATION',
      'The result is for another account than the requester.',
      `request from ${request.destination}, envelope ${envelope.destination}`,
    )
  }
  return {
    ...describeVerifiedEnvelope(verified),
    request: {
      blockHash: request.blockHash,
      blockNumber: request.blockNumber,
      extrinsicIndex: reference.extrinsicIndex,
      sender: request.sender,
    },
  }
}
